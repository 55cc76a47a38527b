package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ErrLocked is wrapped by the error of Open and OpenAppend
// when another writer holds the ledger.
var ErrLocked = errors.New("ledger locked by another writer")

// LockOffEnv, set to "off", makes writers open ledgers without the lock
// (for filesystems without file locks; one writer is then the user's job).
const LockOffEnv = "TRGNAS_LEDGER_LOCK"

// LockHolder is what the lock file beside a ledger (its path plus ".lock")
// says of the process that writes the ledger. The file is only a note for
// the error message: the lock itself is the kernel's, on the ledger file,
// and ends with the process however it ends.
type LockHolder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Since   time.Time `json:"since"`
	Command string    `json:"command,omitempty"`
}

func (h LockHolder) String() string {
	s := fmt.Sprintf("pid %d on host %s", h.PID, h.Host)
	if !h.Since.IsZero() {
		s += " since " + h.Since.Local().Format("2006-01-02 15:04:05")
	}
	if h.Command != "" {
		s += fmt.Sprintf(" (%s)", h.Command)
	}
	return s
}

// LockFile returns the name of the note written beside the ledger at path
// while a writer holds it.
func LockFile(path string) string { return path + ".lock" }

// ReadLockHolder reads the note of the lock file of the ledger at path.
func ReadLockHolder(path string) (LockHolder, error) {
	var h LockHolder
	b, err := os.ReadFile(LockFile(path))
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("%s: %w", LockFile(path), err)
	}
	return h, nil
}

func currentHolder() LockHolder {
	host, _ := os.Hostname()
	cmd := strings.Join(os.Args, " ")
	if len(cmd) > 200 {
		cmd = cmd[:200] + "..."
	}
	return LockHolder{PID: os.Getpid(), Host: host, Since: time.Now().UTC(), Command: cmd}
}

// lock takes the exclusive lock of the ledger open as f, without waiting,
// and writes the holder note. Readers never lock, so they never wait.
func (l *Ledger) lock() error {
	if os.Getenv(LockOffEnv) == "off" {
		return nil
	}
	busy, err := tryLock(l.f)
	// Writer's probe holds the lock for a moment: try a few more times
	// before refusing.
	for i := 0; busy && err == nil && i < 10; i++ {
		time.Sleep(20 * time.Millisecond)
		busy, err = tryLock(l.f)
	}
	if err != nil {
		return fmt.Errorf("ledger %s: cannot lock it (%v): the filesystem may not support file locks; "+
			"set %s=off to write without a lock, and make sure only one process writes the ledger", l.path, err, LockOffEnv)
	}
	if busy {
		me := currentHolder()
		h, herr := ReadLockHolder(l.path)
		switch {
		case herr != nil:
			return fmt.Errorf("%w: %s (holder unknown: %v)", ErrLocked, l.path, herr)
		case h.PID == me.PID && h.Host == me.Host:
			return fmt.Errorf("%w: %s is already open for writing in this process; close it first", ErrLocked, l.path)
		default:
			return fmt.Errorf("%w: %s is held by %s; wait for it to end, or stop it", ErrLocked, l.path, h)
		}
	}
	l.locked = true
	b, _ := json.Marshal(currentHolder())
	// The note is best effort: without it a refused writer still gets the
	// lock error, only without the holder's name.
	_ = os.WriteFile(LockFile(l.path), append(b, '\n'), 0o644)
	return nil
}

// unlock removes the holder note; closing the file then ends the lock.
func (l *Ledger) unlock() {
	if !l.locked {
		return
	}
	l.locked = false
	if h, err := ReadLockHolder(l.path); err == nil && h.PID == os.Getpid() {
		os.Remove(LockFile(l.path))
	}
}

// Writer tells whether a process writes the ledger at path now, and
// who, without waiting. It probes the lock for a moment; a writer that
// starts just then retries (see lock).
func Writer(path string) (LockHolder, bool) {
	f, err := os.Open(path)
	if err != nil {
		return LockHolder{}, false
	}
	defer f.Close() // which drops the lock if the probe took it
	if busy, err := tryLock(f); err != nil || !busy {
		return LockHolder{}, false
	}
	h, _ := ReadLockHolder(path)
	return h, true
}
