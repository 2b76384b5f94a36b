package atomicfile

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// tempMarker separates the target's base name from the random part of a temp file's name.
const tempMarker = ".tmp-"

// randLen is the number of random bytes in a temp file's name (hex-encoded, so twice as many
// characters).
const randLen = 8

// step names one operation of Write, so tests can make exactly that operation fail.
type step string

const (
	stepWrite   step = "write"
	stepSync    step = "sync"
	stepClose   step = "close"
	stepRename  step = "rename"
	stepSyncDir step = "syncdir"
)

// Write replaces name, a slash-separated path relative to root, with data and mode perm
// (applied with chmod, so the umask cannot narrow it). On an error before the rename the old
// file, if any, is untouched and the temp file is removed. An error from the final directory
// fsync means the new content is in place but may not survive a crash.
func Write(ctx context.Context, root *os.Root, name string, data []byte, perm os.FileMode) error {
	return write(ctx, root, name, data, perm, noOwner, noOwner, nil)
}

// noOwner leaves a temp file's owner or group as created (chown's -1).
const noOwner = -1

// WriteOwned is Write that also gives the new file uid and gid (-1 leaves either as created)
// before the rename, so a key file replaced by root for the bind user never exists, even for a
// moment, with an owner its reader cannot read. Changing the owner needs the privilege to; the
// error comes before the rename, with the old file untouched.
func WriteOwned(ctx context.Context, root *os.Root, name string, data []byte, perm os.FileMode, uid, gid int) error {
	return write(ctx, root, name, data, perm, uid, gid, nil)
}

// write is Write with a fault hook: fail, when not nil, is called before each step and its
// error stands in for that step's.
func write(ctx context.Context, root *os.Root, name string, data []byte, perm os.FileMode, uid, gid int, fail func(step) error) (err error) {
	hook := func(s step) error {
		if fail == nil {
			return nil
		}
		return fail(s)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if name == "" || strings.HasSuffix(name, "/") {
		return fmt.Errorf("write %q: not a file name", name)
	}
	f, tmp, err := createTemp(root, name, perm)
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if err == nil {
			return
		}
		_ = f.Close() // a second Close after a successful one only returns os.ErrClosed
		if !renamed {
			_ = root.Remove(tmp)
		}
	}()
	if err = hook(stepWrite); err == nil {
		_, err = f.Write(data)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if uid != noOwner || gid != noOwner {
		if err = f.Chown(uid, gid); err != nil {
			return fmt.Errorf("chown %s: %w", tmp, err)
		}
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err = hook(stepSync); err == nil {
		err = f.Sync()
	}
	if err != nil {
		return fmt.Errorf("fsync %s: %w", tmp, err)
	}
	if err = hook(stepClose); err == nil {
		err = f.Close()
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err = ctx.Err(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err = hook(stepRename); err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp, name, err)
	}
	renamed = true
	if err = hook(stepSyncDir); err == nil {
		err = SyncDir(root, path.Dir(name))
	}
	return err
}

// createTemp creates a new, empty temp file beside name: ".<base>.tmp-<16 hex>". O_EXCL makes
// sure it is new; a collision of 64 random bits is retried, not trusted.
func createTemp(root *os.Root, name string, perm os.FileMode) (*os.File, string, error) {
	dir, base := path.Split(name)
	for range 3 {
		var rnd [randLen]byte
		_, _ = rand.Read(rnd[:]) // crypto/rand.Read never fails (Go 1.24+)
		tmp := dir + "." + base + tempMarker + hex.EncodeToString(rnd[:])
		f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("create temp file for %s: %w", name, err)
		}
		return f, tmp, nil
	}
	return nil, "", fmt.Errorf("create temp file for %s: %w", name, fs.ErrExist)
}

// IsTemp reports whether base, a file name without directory, is a temp file Write leaves
// behind when the process dies between create and rename. Such files are never the target of a
// Write and may be removed by whoever owns the directory.
func IsTemp(base string) bool {
	if !strings.HasPrefix(base, ".") {
		return false
	}
	i := strings.LastIndex(base, tempMarker)
	if i <= 1 {
		return false
	}
	rnd := base[i+len(tempMarker):]
	if len(rnd) != 2*randLen {
		return false
	}
	_, err := hex.DecodeString(rnd)
	return err == nil
}

// SyncDir fsyncs dir (relative to root) so that a rename or removal in it is durable.
func SyncDir(root *os.Root, dir string) error {
	d, err := root.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

// Probe checks that a file can be written and made durable in dir (relative to root): it
// creates a temp file there (named as Write names them, so a crash leaves nothing an owner does
// not clean), writes a few bytes, fsyncs and removes it. It fails on a read-only directory and,
// because the fsync must allocate a block, on a full disk or quota. For readiness: cheap, and
// run periodically rather than per request.
func Probe(ctx context.Context, root *os.Root, dir string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, tmp, err := createTemp(root, path.Join(dir, "probe"), 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write([]byte("bindgate\n"))
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	rerr := root.Remove(tmp)
	return errors.Join(werr, cerr, rerr)
}
