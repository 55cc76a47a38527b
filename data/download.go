package data

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// The official CIFAR-10 binary archive and its MD5 checksum.
const (
	CIFAR10URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
	CIFAR10MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
)

// DownloadOptions configures DownloadCIFAR10. The zero value downloads the
// official archive with http.DefaultClient and reports no progress.
type DownloadOptions struct {
	URL    string       // archive to fetch; "" = CIFAR10URL
	MD5    string       // expected hex MD5 of the archive; "" = CIFAR10MD5
	Client *http.Client // nil = http.DefaultClient

	// Progress, when set, receives a line of text about every 10% of the
	// transfer (every 16 MiB when the size is unknown) and at each step.
	Progress io.Writer
	// OnProgress, when set, is called after each chunk with the bytes
	// received so far and the total (-1 when the server does not say).
	OnProgress func(done, total int64)
}

// DownloadCIFAR10 makes sure dir/cifar-10-batches-bin holds the CIFAR-10
// binary files and returns that directory. A complete copy already there
// (batches.meta.txt with ten class names and the six record files, each a
// whole number of records) is reused without any network access. Otherwise it fetches the archive
// into a temporary file in dir, checks its MD5, unpacks it into a
// temporary directory in dir, checks the files, and renames the directory
// into place (replacing an incomplete copy). On any failure, including a
// wrong checksum, a truncated transfer or a cancelled ctx, nothing is left
// in dir but what was there before.
func DownloadCIFAR10(ctx context.Context, dir string, opt DownloadOptions) (string, error) {
	if opt.URL == "" {
		opt.URL = CIFAR10URL
	}
	if opt.MD5 == "" {
		opt.MD5 = CIFAR10MD5
	}
	if opt.Client == nil {
		opt.Client = http.DefaultClient
	}
	if dir == "" {
		dir = "."
	}
	target := filepath.Join(dir, cifarSubdir)
	if checkCIFARDir(target) == nil {
		opt.say("%s: complete copy found, not downloading\n", target)
		return target, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("data: download CIFAR-10: %w", err)
	}
	archive, err := os.CreateTemp(dir, ".cifar-10-binary-*.tar.gz.part")
	if err != nil {
		return "", fmt.Errorf("data: download CIFAR-10: %w", err)
	}
	defer os.Remove(archive.Name())
	defer archive.Close()
	if err := fetch(ctx, opt, archive); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, ".cifar-10-unpack-*")
	if err != nil {
		return "", fmt.Errorf("data: download CIFAR-10: %w", err)
	}
	defer os.RemoveAll(tmp)
	if _, err := archive.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("data: download CIFAR-10: %w", err)
	}
	opt.say("unpacking %s\n", opt.URL)
	if err := untar(archive, tmp, opt.URL); err != nil {
		return "", err
	}
	unpacked := filepath.Join(tmp, cifarSubdir)
	if err := checkCIFARDir(unpacked); err != nil {
		return "", fmt.Errorf("data: archive %s is not a complete CIFAR-10 copy: %w", opt.URL, err)
	}
	// Move an incomplete old copy aside, then put the new one in place.
	if _, err := os.Lstat(target); err == nil {
		if err := os.Rename(target, filepath.Join(tmp, "old")); err != nil {
			return "", fmt.Errorf("data: download CIFAR-10: replacing incomplete copy: %w", err)
		}
	}
	if err := os.Rename(unpacked, target); err != nil {
		if checkCIFARDir(target) == nil { // another process finished first
			return target, nil
		}
		return "", fmt.Errorf("data: download CIFAR-10: %w", err)
	}
	opt.say("%s: ready\n", target)
	return target, nil
}

// say writes a progress line when a writer is set.
func (opt *DownloadOptions) say(format string, args ...any) {
	if opt.Progress != nil {
		fmt.Fprintf(opt.Progress, format, args...)
	}
}

// fetch downloads opt.URL into f and checks its length and MD5.
func fetch(ctx context.Context, opt DownloadOptions, f *os.File) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, opt.URL, nil)
	if err != nil {
		return fmt.Errorf("data: download %s: %w", opt.URL, err)
	}
	resp, err := opt.Client.Do(req)
	if err != nil {
		return fmt.Errorf("data: download %s: %w", opt.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("data: download %s: HTTP status %s", opt.URL, resp.Status)
	}
	total := resp.ContentLength
	opt.say("downloading %s (%s)\n", opt.URL, sizeText(total))
	h := md5.New()
	pw := &progress{opt: &opt, total: total}
	n, err := io.Copy(io.MultiWriter(f, h, pw), resp.Body)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) && total >= 0 {
			return fmt.Errorf("data: download %s: %w: received %d of %d bytes", opt.URL, ErrTruncated, n, total)
		}
		return fmt.Errorf("data: download %s: after %d bytes: %w", opt.URL, n, err)
	}
	if total >= 0 && n != total {
		return fmt.Errorf("data: download %s: %w: received %d of %d bytes", opt.URL, ErrTruncated, n, total)
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, opt.MD5) {
		return fmt.Errorf("data: download %s: %w: MD5 %s, want %s", opt.URL, ErrChecksum, got, opt.MD5)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("data: download %s: %w", opt.URL, err)
	}
	opt.say("downloaded %s, MD5 verified\n", sizeText(n))
	return nil
}

// progress counts bytes and reports them.
type progress struct {
	opt        *DownloadOptions
	total      int64
	done, next int64
}

func (p *progress) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.opt.OnProgress != nil {
		p.opt.OnProgress(p.done, p.total)
	}
	if p.opt.Progress != nil && p.done >= p.next {
		step := int64(16 << 20)
		if p.total > 0 {
			step = max(p.total/10, 1)
			p.opt.say("  %s of %s (%d%%)\n", sizeText(p.done), sizeText(p.total), 100*p.done/p.total)
		} else {
			p.opt.say("  %s\n", sizeText(p.done))
		}
		p.next = (p.done/step + 1) * step
	}
	return len(b), nil
}

// sizeText writes a byte count for people.
func sizeText(n int64) string {
	switch {
	case n < 0:
		return "size unknown"
	case n < 1<<20:
		return fmt.Sprintf("%d bytes", n)
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}

// untar unpacks the regular files and directories of a gzipped tar stream
// into dir. Entries that would land outside dir are an error; links and
// other special entries are skipped.
func untar(r io.Reader, dir, name string) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("data: archive %s: %w: not a gzip stream: %v", name, ErrFormat, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("data: archive %s: %w: %v", name, ErrFormat, err)
		}
		clean := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(clean, "\\") {
			return fmt.Errorf("data: archive %s: %w: entry %q leaves the target directory", name, ErrFormat, hdr.Name)
		}
		dst := filepath.Join(dir, filepath.FromSlash(clean))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return fmt.Errorf("data: archive %s: %w", name, err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return fmt.Errorf("data: archive %s: %w", name, err)
			}
			if err := writeFile(dst, tr); err != nil {
				return fmt.Errorf("data: archive %s: entry %s: %w", name, hdr.Name, err)
			}
		}
	}
}

// writeFile copies r into a new file at dst and syncs it.
func writeFile(dst string, r io.Reader) error {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
