// Package atomicfile replaces files so that a reader sees the old content or the new, never a
// mix, and the new content survives a crash once Write returns: temp file in the same directory
// (O_EXCL, unique name), write, fsync, close, rename over the target, fsync of the directory
// (docs/contract.md §7.2, §18.16). Everything goes through an *os.Root, so no name can escape the
// directory the root was opened on (docs/contract.md §19 B-1).
package atomicfile
