package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFlushFloor measures what one durable append of a change record (400 bytes) costs on
// the filesystem of the benchmark's temp dir, with nothing else running: the floor under the
// zone copy's cost per API change (issue 9 target (iii)), since a 2xx waits until the change
// is durable in the copy. Three ways: append + fsync (the file grows), and an overwrite of
// reserved zeros + fdatasync or fsync (what zonecopy does since the reserve, package doc).
func BenchmarkFlushFloor(b *testing.B) {
	iters := iterations()
	dir := b.TempDir()
	run := func(name string, reserve, data bool) time.Duration {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if reserve {
			if _, err := f.WriteAt(make([]byte, 1<<20), 0); err != nil {
				b.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
		}
		rec := make([]byte, 400)
		var ds []time.Duration
		deadline := time.Now().Add(time.Minute)
		for i := 0; i < iters && time.Now().Before(deadline); i++ {
			t0 := time.Now()
			if _, err := f.WriteAt(rec, int64(i*len(rec))); err != nil {
				b.Fatal(err)
			}
			if data {
				err = syscall.Fdatasync(int(f.Fd()))
			} else {
				err = f.Sync()
			}
			if err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(t0))
		}
		return pct(ds, 50)
	}
	b.ResetTimer()
	grow := run("grow", false, false)
	dsync := run("reserve-fdatasync", true, true)
	fsync := run("reserve-fsync", true, false)
	b.StopTimer()
	fmt.Printf("durable 400-byte append p50 (n=%d): growing file + fsync %s | into reserved zeros + fdatasync %s | + fsync %s\n",
		iters, grow.Round(time.Microsecond), dsync.Round(time.Microsecond), fsync.Round(time.Microsecond))
	b.ReportMetric(float64(dsync.Microseconds()), "reserve-fdatasync-µs")
}
