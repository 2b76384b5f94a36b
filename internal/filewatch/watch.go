package filewatch

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Defaults for Config's zero values.
const (
	DefaultDebounce = 250 * time.Millisecond
	DefaultRetryMin = time.Second
	DefaultRetryMax = time.Minute
)

// Watch reloads until ctx ends: after file events in the directories of the watched files
// (debounced), every Interval (the safety net: an event lost, a network file system), and,
// after Switch refused a value, with a backoff from RetryMin to RetryMax. It watches
// directories, not files: a Kubernetes Secret volume replaces its files by swapping a
// `..data` symlink, which is an event in the directory only; an editor or atomicfile renames
// over the file, which ends a file watch. A directory that cannot be watched (no inotify left,
// say) leaves the timer, with a log line. Failures are logged and reported by Reload.
func (w *Watcher[T]) Watch(ctx context.Context) {
	if w.cfg.Read == nil {
		return
	}
	var ev *events
	if !w.cfg.NoEvents {
		ev = w.newEvents()
		defer ev.close()
	}
	if ev == nil && w.cfg.Interval <= 0 {
		return
	}
	var tick <-chan time.Time
	if w.cfg.Interval > 0 {
		t := time.NewTicker(w.cfg.Interval)
		defer t.Stop()
		tick = t.C
	}
	debounce := w.cfg.Debounce
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	retryMin, retryMax := w.cfg.RetryMin, w.cfg.RetryMax
	if retryMin <= 0 {
		retryMin = DefaultRetryMin
	}
	if retryMax < retryMin {
		retryMax = max(DefaultRetryMax, retryMin)
	}
	settle := time.NewTimer(time.Hour)
	settle.Stop()
	defer settle.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	backoff := retryMin
	reload := func() {
		_, _ = w.Reload(ctx)
		w.mu.Lock()
		failed := w.switchFail
		w.mu.Unlock()
		if failed {
			retry.Reset(backoff)
			backoff = min(backoff*2, retryMax)
		} else {
			retry.Stop()
			backoff = retryMin
		}
		ev.sync(w.Paths())
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			reload()
		case <-settle.C:
			reload()
		case <-retry.C:
			reload()
		case e, ok := <-ev.eventC():
			if ok && ev.relevant(e.Name) {
				settle.Reset(debounce)
			}
		case err, ok := <-ev.errorC():
			if ok {
				// An overflow loses events; reload at once rather than wait for the timer.
				w.cfg.Logger.Warn(w.cfg.Name+": file events", "err", err)
				settle.Reset(debounce)
			}
		}
	}
}

// events is the fsnotify side of Watch; a nil *events (no file events) is valid and quiet.
type events struct {
	fw    *fsnotify.Watcher
	name  string
	log   interface{ Warn(string, ...any) }
	dirs  []string        // directories watched
	names map[string]bool // base names that matter in them
}

// newEvents starts watching the directories of w's files; nil when fsnotify is unavailable.
func (w *Watcher[T]) newEvents() *events {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		w.cfg.Logger.Warn(w.cfg.Name+": file events unavailable; checking on a timer only",
			"err", err, "interval", w.cfg.Interval.String())
		return nil
	}
	ev := &events{fw: fw, name: w.cfg.Name, log: w.cfg.Logger}
	ev.sync(w.Paths())
	return ev
}

func (ev *events) eventC() <-chan fsnotify.Event {
	if ev == nil {
		return nil
	}
	return ev.fw.Events
}

func (ev *events) errorC() <-chan error {
	if ev == nil {
		return nil
	}
	return ev.fw.Errors
}

func (ev *events) close() {
	if ev != nil {
		_ = ev.fw.Close()
	}
}

// relevant reports whether an event on name can change a watched file: the file itself (or a
// temporary renamed over it) or a Kubernetes volume's `..data` link and timestamped
// directories, all of which start with "..".
func (ev *events) relevant(name string) bool {
	base := filepath.Base(name)
	return ev.names[base] || strings.HasPrefix(base, "..")
}

// sync watches the directory of every path and, for a symbolic link, of the file it resolves
// to, and stops watching directories no longer needed. A directory that cannot be watched is
// logged (once per change of the set); the timer still covers it.
func (ev *events) sync(paths []string) {
	if ev == nil {
		return
	}
	var dirs []string
	names := map[string]bool{}
	add := func(p string) {
		names[filepath.Base(p)] = true
		if d := filepath.Dir(p); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	for _, p := range paths {
		add(p)
		if r, err := filepath.EvalSymlinks(p); err == nil && r != p {
			add(r)
		}
	}
	slices.Sort(dirs)
	if slices.Equal(dirs, ev.dirs) {
		ev.names = names
		return
	}
	for _, d := range ev.dirs {
		if !slices.Contains(dirs, d) {
			_ = ev.fw.Remove(d)
		}
	}
	for _, d := range dirs {
		if slices.Contains(ev.dirs, d) {
			continue
		}
		if err := ev.fw.Add(d); err != nil {
			ev.log.Warn(ev.name+": cannot watch a directory for changes; checking on a timer only",
				"dir", d, "err", err)
		}
	}
	ev.dirs, ev.names = dirs, names
}
