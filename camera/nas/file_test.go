package nas

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

func openFileTarget(t *testing.T) (Target, string) {
	t.Helper()
	dir := t.TempDir()
	tg, err := Open(context.Background(), "file://"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tg.Close() })
	return tg, dir
}

func TestFileRoundTrip(t *testing.T) {
	g := NewWithT(t)
	tg, dir := openFileTarget(t)
	ctx := context.Background()
	g.Expect(tg.String()).To(Equal("file://" + dir))

	g.Expect(tg.Put(ctx, "b.enc", []byte("second"))).To(Succeed())
	g.Expect(tg.Put(ctx, "a.enc", []byte("first"))).To(Succeed())
	g.Expect(tg.Put(ctx, "a.enc", []byte("first, replaced"))).To(Succeed())
	g.Expect(tg.Put(ctx, "empty", nil)).To(Succeed())

	got, err := tg.Get(ctx, "a.enc")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(got)).To(Equal("first, replaced"))
	onDisk, err := os.ReadFile(filepath.Join(dir, "b.enc"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(onDisk)).To(Equal("second"))

	files, err := tg.List(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(HaveLen(3))
	g.Expect([]string{files[0].Name, files[1].Name, files[2].Name}).To(Equal([]string{"a.enc", "b.enc", "empty"}))
	g.Expect(files[0].Size).To(Equal(int64(len("first, replaced"))))
	st, err := os.Stat(filepath.Join(dir, "a.enc"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files[0].ModTime.Equal(st.ModTime())).To(BeTrue())

	for _, f := range files {
		st, err := os.Stat(filepath.Join(dir, f.Name))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(st.Mode().Perm()&^0o640).To(BeZero(), "mode of %s is %v", f.Name, st.Mode())
	}

	g.Expect(tg.Remove(ctx, "a.enc")).To(Succeed())
	g.Expect(tg.Remove(ctx, "a.enc")).To(Succeed(), "removing a missing file is not an error")
	_, err = tg.Get(ctx, "a.enc")
	g.Expect(err).To(MatchError(ErrNotFound))
	files, err = tg.List(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(HaveLen(2))
}

func TestFileListHidesLeftovers(t *testing.T) {
	g := NewWithT(t)
	tg, dir := openFileTarget(t)
	ctx := context.Background()
	g.Expect(tg.Put(ctx, "rec1", []byte("ok"))).To(Succeed())
	// A crash between writing the temporary file and renaming it leaves this behind.
	f, err := os.CreateTemp(dir, tempMarker+"*")
	g.Expect(err).NotTo(HaveOccurred())
	_, _ = f.WriteString("part")
	g.Expect(f.Close()).To(Succeed())
	g.Expect(os.Mkdir(filepath.Join(dir, "subdir"), 0o700)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(dir, "not a record"), []byte("x"), 0o600)).To(Succeed())
	g.Expect(os.Symlink("/etc/passwd", filepath.Join(dir, "link"))).To(Succeed())

	files, err := tg.List(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(HaveLen(1))
	g.Expect(files[0].Name).To(Equal("rec1"))

	_, err = tg.Get(ctx, "link")
	g.Expect(err).To(MatchError(ErrNotFound), "a symlink is not a record")
}

func TestFileFailedPutLeavesNothing(t *testing.T) {
	g := NewWithT(t)
	tg, dir := openFileTarget(t)
	ctx := context.Background()
	// The rename cannot replace a non-empty directory, so Put fails after writing its temporary file.
	g.Expect(os.MkdirAll(filepath.Join(dir, "busy", "x"), 0o700)).To(Succeed())
	g.Expect(tg.Put(ctx, "busy", []byte("data"))).NotTo(Succeed())
	entries, err := os.ReadDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(1), "the temporary file was removed")
	g.Expect(entries[0].Name()).To(Equal("busy"))

	// A cancelled context writes nothing at all.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = tg.Put(cctx, "late", []byte("data"))
	g.Expect(err).To(MatchError(ErrUnreachable))
	g.Expect(err).To(MatchError(context.Canceled))
	_, err = os.Stat(filepath.Join(dir, "late"))
	g.Expect(os.IsNotExist(err)).To(BeTrue())
	entries, err = os.ReadDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(1))
}

func TestFileOpenAndClose(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	_, err := Open(context.Background(), "file://"+dir+"/missing", Options{})
	g.Expect(err).To(HaveOccurred())
	g.Expect(os.WriteFile(filepath.Join(dir, "plain"), nil, 0o600)).To(Succeed())
	_, err = Open(context.Background(), "file://"+dir+"/plain", Options{})
	g.Expect(err).To(MatchError(ContainSubstring("not a directory")))

	tg, err := Open(context.Background(), "file://"+dir, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tg.Close()).To(Succeed())
	g.Expect(tg.Put(context.Background(), "x", nil)).To(MatchError(ErrClosed))
	_, err = tg.List(context.Background())
	g.Expect(err).To(MatchError(ErrClosed))
	_, err = os.Stat(filepath.Join(dir, "x"))
	g.Expect(os.IsNotExist(err)).To(BeTrue())
}
