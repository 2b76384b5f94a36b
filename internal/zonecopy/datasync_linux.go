package zonecopy

import (
	"os"
	"syscall"
)

// datasync flushes f's data and only the metadata needed to read it back (fdatasync(2)):
// for an overwrite within the file's size, no inode change, so no journal commit.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
