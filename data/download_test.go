package data_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trgnas/trgnas/data"
)

// tarball builds a .tar.gz holding the files under prefix, the way the
// official archive holds cifar-10-batches-bin/.
func tarball(t *testing.T, prefix string, files map[string][]byte, extra ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: prefix + "/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if files[n] == nil {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: prefix + "/" + n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[n]))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(files[n])
	}
	for _, h := range extra {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// server serves body; with cut > 0 it announces the full length but sends
// only cut bytes. It counts requests.
func server(t *testing.T, body []byte, cut int, requests *atomic.Int32) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/cifar-10-binary.tar.gz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if cut > 0 {
			w.Write(body[:cut])
			w.(http.Flusher).Flush()
			// Abort the connection so the client sees a short body.
			panic(http.ErrAbortHandler)
		}
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

// entries lists a directory's names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestDownloadCIFAR10(t *testing.T) {
	archive := tarball(t, "cifar-10-batches-bin", cifarFiles(2, 3))
	var requests atomic.Int32
	srv := server(t, archive, 0, &requests)
	dir := filepath.Join(t.TempDir(), "datasets")
	var progress bytes.Buffer
	var last, calls int64
	opt := data.DownloadOptions{
		URL: srv.URL + "/cifar-10-binary.tar.gz", MD5: strings.ToUpper(md5hex(archive)),
		Progress:   &progress,
		OnProgress: func(done, total int64) { calls++; last = done; _ = total },
	}
	got, err := data.DownloadCIFAR10(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "cifar-10-batches-bin"); got != want {
		t.Errorf("dir %s, want %s", got, want)
	}
	train, test, err := data.CIFAR10(got)
	if err != nil || train.N != 10 || test.N != 3 {
		t.Fatalf("loading the download: %v", err)
	}
	if calls == 0 || last != int64(len(archive)) {
		t.Errorf("OnProgress: %d calls, last %d, want %d", calls, last, len(archive))
	}
	if !strings.Contains(progress.String(), "MD5 verified") || !strings.Contains(progress.String(), "(100%)") {
		t.Errorf("progress text:\n%s", progress.String())
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("left in %s: %v, want only cifar-10-batches-bin", dir, names)
	}
	// A complete copy is reused: no second request.
	if _, err := data.DownloadCIFAR10(context.Background(), dir, opt); err != nil || requests.Load() != 1 {
		t.Errorf("second call: %v, %d requests", err, requests.Load())
	}
	// An incomplete copy is replaced.
	os.Remove(filepath.Join(got, "data_batch_3.bin"))
	if _, err := data.DownloadCIFAR10(context.Background(), dir, opt); err != nil || requests.Load() != 2 {
		t.Fatalf("repair: %v, %d requests", err, requests.Load())
	}
	if _, _, err := data.CIFAR10(got); err != nil {
		t.Errorf("after repair: %v", err)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("left in %s after repair: %v", dir, names)
	}
}

func TestDownloadCIFAR10Failures(t *testing.T) {
	good := tarball(t, "cifar-10-batches-bin", cifarFiles(2, 3))
	missing := cifarFiles(2, 3)
	missing["test_batch.bin"] = nil
	incomplete := tarball(t, "cifar-10-batches-bin", missing)
	evil := tarball(t, "cifar-10-batches-bin", cifarFiles(1, 1), &tar.Header{Name: "../evil.txt", Typeflag: tar.TypeReg, Size: 0, Mode: 0o644})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		body []byte
		cut  int
		md5  string
		path string
		ctx  context.Context
		is   error
		msg  string
	}{
		{name: "wrong checksum", body: good, md5: md5hex([]byte("other")), is: data.ErrChecksum, msg: "MD5 " + md5hex(good)},
		{name: "truncated transfer", body: good, cut: len(good) / 2, is: data.ErrTruncated, msg: "received"},
		{name: "not found", body: good, path: "/missing.tar.gz", msg: "404"},
		{name: "incomplete archive", body: incomplete, is: data.ErrNotFound, msg: "test_batch.bin"},
		{name: "escaping entry", body: evil, is: data.ErrFormat, msg: "leaves the target directory"},
		{name: "not gzip", body: []byte("hello, not an archive"), is: data.ErrFormat, msg: "not a gzip stream"},
		{name: "cancelled", body: good, ctx: cancelled, is: context.Canceled, msg: "canceled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := server(t, tc.body, tc.cut, &requests)
			root := t.TempDir()
			dir := filepath.Join(root, "d")
			os.Mkdir(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o644)
			opt := data.DownloadOptions{URL: srv.URL + "/cifar-10-binary.tar.gz", MD5: md5hex(tc.body)}
			if tc.md5 != "" {
				opt.MD5 = tc.md5
			}
			if tc.path != "" {
				opt.URL = srv.URL + tc.path
			}
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			got, err := data.DownloadCIFAR10(ctx, dir, opt)
			if err == nil {
				t.Fatalf("no error; returned %s", got)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want it to contain %q", err, tc.msg)
			}
			if names := entries(t, dir); len(names) != 1 || names[0] != "keep.txt" {
				t.Errorf("left behind in dir: %v", names)
			}
			if names := entries(t, root); len(names) != 1 {
				t.Errorf("left behind in parent: %v", names)
			}
		})
	}
}

func TestDownloadTruncatedIsTruncated(t *testing.T) {
	good := tarball(t, "cifar-10-batches-bin", cifarFiles(2, 3))
	var requests atomic.Int32
	srv := server(t, good, 1000, &requests)
	_, err := data.DownloadCIFAR10(context.Background(), t.TempDir(), data.DownloadOptions{URL: srv.URL + "/cifar-10-binary.tar.gz", MD5: md5hex(good)})
	if !errors.Is(err, data.ErrTruncated) || !strings.Contains(err.Error(), "received 1000 of") {
		t.Errorf("error %v, want ErrTruncated after 1000 bytes", err)
	}
}

// TestDownloadUnknownLength covers a server that sends no Content-Length
// (chunked transfer): progress reports total -1 and the download succeeds.
func TestDownloadUnknownLength(t *testing.T) {
	archive := tarball(t, "cifar-10-batches-bin", cifarFiles(1, 1))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < len(archive); i += 1000 {
			w.Write(archive[i:min(i+1000, len(archive))])
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	var totals []int64
	var text bytes.Buffer
	dir, err := data.DownloadCIFAR10(context.Background(), t.TempDir(), data.DownloadOptions{
		URL: srv.URL + "/x.tar.gz", MD5: md5hex(archive), Progress: &text,
		OnProgress: func(done, total int64) { totals = append(totals, total) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := data.CIFAR10(dir); err != nil {
		t.Fatal(err)
	}
	if len(totals) == 0 || totals[0] != -1 || !strings.Contains(text.String(), "size unknown") {
		t.Errorf("totals %v, progress:\n%s", totals, text.String())
	}
}
