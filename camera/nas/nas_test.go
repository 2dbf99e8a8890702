package nas

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestParseURL(t *testing.T) {
	good := []struct{ in, want string }{
		{"file:///mnt/nas", "file:///mnt/nas"},
		{"file:///mnt/nas/", "file:///mnt/nas"},
		{"FILE:///mnt//nas", "file:///mnt/nas"},
		{"file://localhost/srv", "file:///srv"},
		{"sftp://cam@nas.example:2222/records", "sftp://cam@nas.example:2222/records"},
		{"sftp://cam@nas.example/records", "sftp://cam@nas.example:22/records"},
		{"sftp://cam@[::1]:22/r", "sftp://cam@[::1]:22/r"},
		{"sftp://cam@10.0.0.5:022/r/", "sftp://cam@10.0.0.5:22/r"},
	}
	for _, c := range good {
		t.Run("good "+c.in, func(t *testing.T) {
			g := NewWithT(t)
			u, err := ParseURL(c.in)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(u.String()).To(Equal(c.want))
		})
	}
	bad := []struct{ in, why string }{
		{"", "unsupported scheme"},
		{"ftp://u@h/x", "unsupported scheme"},
		{"http://h/x", "unsupported scheme"},
		{"/mnt/nas", "unsupported scheme"},
		{"file:relative/dir", "absolute path"},
		{"file://relative/dir", "host"},
		{"file:///a/../b", ". or .."},
		{"file:///a/./b", ". or .."},
		{"file://u@/x", "user"},
		{"file:///x?y=1", "query"},
		{"file:///x#frag", "fragment"},
		{"sftp://nas.example:22/r", "needs a user"},
		{"sftp://@nas.example:22/r", "needs a user"},
		{"sftp://cam@:22/r", "needs a host"},
		{"sftp://cam@nas.example:22", "absolute"},
		{"sftp://cam@nas.example:22r", "port"},
		{"sftp://cam@nas.example:0/r", "port"},
		{"sftp://cam@nas.example:70000/r", "port"},
		{"sftp://cam@nas.example:/r", "empty port"},
		{"sftp://cam:hunter2@nas.example:22/r", "password"},
		{"sftp://cam:@nas.example:22/r", "password"},
		{"sftp://cam@nas.example:22/r\x01", "control"},
		{"sftp://c%20am@nas.example:22/r", "control"},
		{"sftp://m@:22:22/", "neither an IP address nor a DNS name"},
		{"sftp://cam@nas_1.example:22/r", "neither an IP address nor a DNS name"},
		{"sftp://cam@-nas.example:22/r", "neither an IP address nor a DNS name"},
		{"sftp://cam@nas..example:22/r", "neither an IP address nor a DNS name"},
	}
	for _, c := range bad {
		t.Run("bad "+c.in, func(t *testing.T) {
			g := NewWithT(t)
			u, err := ParseURL(c.in)
			g.Expect(err).To(HaveOccurred())
			g.Expect(u).To(BeNil())
			g.Expect(err.Error()).To(ContainSubstring(c.why))
		})
	}
}

func TestParseURLNeverEchoesPassword(t *testing.T) {
	g := NewWithT(t)
	for _, raw := range []string{
		"sftp://cam:s3cretpw@nas:22/r",
		"sftp://cam:s3cretpw@nas:bad port/r", // rejected by url.Parse itself
		"sftp://cam:s3cretpw@nas%zz:22/r",
	} {
		_, err := ParseURL(raw)
		g.Expect(err).To(HaveOccurred(), raw)
		g.Expect(err.Error()).NotTo(ContainSubstring("s3cretpw"), raw)
		_, err = Open(context.Background(), raw, Options{})
		g.Expect(err).To(HaveOccurred(), raw)
		g.Expect(err.Error()).NotTo(ContainSubstring("s3cretpw"), raw)
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"file:///mnt/nas", "sftp://cam@nas:22/r", "sftp://cam:pw@nas/r", "file://h/x", "sftp://cam@[::1]/x",
		"file:///a/../b", "sftp://u@h:65535/%2e%2e/x", "sftp://u@h:/x", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ParseURL(raw)
		if err != nil {
			if u != nil {
				t.Fatalf("error with a URL: %v", err)
			}
			return
		}
		if u.Scheme != "file" && u.Scheme != "sftp" {
			t.Fatalf("accepted scheme %q", u.Scheme)
		}
		if !strings.HasPrefix(u.Path, "/") {
			t.Fatalf("accepted non-absolute path %q", u.Path)
		}
		for _, seg := range strings.Split(u.Path, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("accepted dot segment in %q", u.Path)
			}
		}
		if u.User != nil {
			if _, has := u.User.Password(); has {
				t.Fatalf("accepted a password in %q", raw)
			}
		}
		if u.Scheme == "sftp" && (u.User.Username() == "" || u.Hostname() == "" || u.Port() == "") {
			t.Fatalf("accepted sftp URL without user, host or port: %q", u)
		}
		if u.Scheme == "file" && (u.User != nil || u.Host != "") {
			t.Fatalf("accepted file URL with user or host: %q", u)
		}
		// The normalised form is stable: it parses back to itself.
		again, err := ParseURL(u.String())
		if err != nil {
			t.Fatalf("normalised %q does not parse: %v", u, err)
		}
		if again.String() != u.String() {
			t.Fatalf("not stable: %q -> %q", u, again)
		}
	})
}

func TestCheckName(t *testing.T) {
	g := NewWithT(t)
	for _, ok := range []string{"a", "rec-2026-01-01T00.00.00Z_1.enc", "A_b-c.9", strings.Repeat("x", MaxNameLen), ".hidden"} {
		g.Expect(CheckName(ok)).To(Succeed(), ok)
	}
	for _, bad := range badNames() {
		g.Expect(CheckName(bad)).To(MatchError(ErrBadName), "%q", bad)
	}
}

func badNames() []string {
	return []string{
		"", ".", "..", "../x", "x/..", "a/b", "/abs", `a\b`, "a..b", strings.Repeat("x", MaxNameLen+1),
		"a\x00b", "a\nb", "a\tb", "a\x7fb", "a b", "é", tempMarker + "abc", "a:b", "*",
	}
}

// TestBadNamesTouchNothing runs every method of every Target with bad names and checks each is
// refused with ErrBadName and the directory is unchanged.
func TestBadNamesTouchNothing(t *testing.T) {
	for kind, open := range map[string]func(t *testing.T) (Target, string){
		"file": func(t *testing.T) (Target, string) {
			dir := t.TempDir()
			tg, err := Open(context.Background(), "file://"+dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			return tg, dir
		},
		"sftp": func(t *testing.T) (Target, string) {
			env := newSFTPEnv(t)
			return env.open(t), env.dir
		},
	} {
		t.Run(kind, func(t *testing.T) {
			g := NewWithT(t)
			tg, dir := open(t)
			defer tg.Close()
			ctx := context.Background()
			g.Expect(os.WriteFile(dir+"/keep", []byte("k"), 0o600)).To(Succeed())
			for _, n := range badNames() {
				g.Expect(tg.Put(ctx, n, []byte("x"))).To(MatchError(ErrBadName), "put %q", n)
				_, err := tg.Get(ctx, n)
				g.Expect(err).To(MatchError(ErrBadName), "get %q", n)
				g.Expect(tg.Remove(ctx, n)).To(MatchError(ErrBadName), "remove %q", n)
			}
			// A directory is not a record: Remove refuses it rather than deleting it.
			g.Expect(os.Mkdir(dir+"/sub", 0o700)).To(Succeed())
			err := tg.Remove(ctx, "sub")
			g.Expect(err).To(MatchError(ContainSubstring("directory")))
			g.Expect(err).NotTo(MatchError(ErrUnreachable))
			g.Expect(os.Remove(dir + "/sub")).To(Succeed())
			entries, err := os.ReadDir(dir)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(entries).To(HaveLen(1))
			g.Expect(entries[0].Name()).To(Equal("keep"))
			g.Expect(tg.Put(ctx, "ok", []byte("x"))).To(Succeed(), "the target still works")
			_, err = os.Stat(dir + "/../x")
			g.Expect(errors.Is(err, os.ErrNotExist)).To(BeTrue())
		})
	}
}
