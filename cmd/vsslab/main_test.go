package main

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera/record"
	"vsslab/reports"
	"vsslab/scenarios/target"
)

// The tests run the real binary, as a user or CI does.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vsslab")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build vsslab: %v\n%s", err, out)
	}
	return bin
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestCommands(t *testing.T) {
	bin := buildBinary(t)

	t.Run("camera serve prints its ready line, serves, and stops on SIGTERM", func(t *testing.T) {
		g := NewWithT(t)
		cmd := exec.Command(bin, "camera", "serve", "--state", filepath.Join(t.TempDir(), "state"), "--https", "127.0.0.1:0", "--http", "127.0.0.1:0")
		stdout, err := cmd.StdoutPipe()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cmd.Start()).To(Succeed())
		defer cmd.Process.Kill()
		line, err := bufio.NewReader(stdout).ReadBytes('\n')
		g.Expect(err).NotTo(HaveOccurred())
		var ready map[string]string
		g.Expect(json.Unmarshal(line, &ready)).To(Succeed())
		g.Expect(ready).To(HaveKeyWithValue("event", "ready"))
		g.Expect(ready["https"]).To(HavePrefix("https://127.0.0.1:"))
		g.Expect(ready["http"]).To(HavePrefix("http://127.0.0.1:"))
		g.Expect(ready["cert_sha256"]).To(MatchRegexp(`^[0-9a-f]{64}$`))

		client := target.PinnedClient(func() string { return ready["cert_sha256"] })
		resp, err := client.Get(ready["https"] + "/api/v1/device")
		g.Expect(err).NotTo(HaveOccurred())
		var dev map[string]any
		g.Expect(json.NewDecoder(resp.Body).Decode(&dev)).To(Succeed())
		resp.Body.Close()
		g.Expect(dev).To(HaveKeyWithValue("admin_password_default", true))
		g.Expect(dev).To(HaveKeyWithValue("model", "iot"))

		g.Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		g.Eventually(done, 20*time.Second).Should(Receive(BeNil()), "a clean shutdown exits 0")
	})

	t.Run("camera serve refuses corrupt state and names the file", func(t *testing.T) {
		g := NewWithT(t)
		state := t.TempDir()
		g.Expect(os.WriteFile(filepath.Join(state, "settings.json"), []byte(`{"access": {"public": tru`), 0o600)).To(Succeed())
		out, err := exec.Command(bin, "camera", "serve", "--state", state, "--https", "127.0.0.1:0", "--http", "").CombinedOutput()
		g.Expect(exitCode(err)).To(Equal(2))
		g.Expect(string(out)).To(ContainSubstring(filepath.Join(state, "settings.json")))
		data, _ := os.ReadFile(filepath.Join(state, "settings.json"))
		g.Expect(string(data)).To(Equal(`{"access": {"public": tru`), "the corrupt file is left for inspection")
	})

	t.Run("usage errors exit 2 with a message", func(t *testing.T) {
		g := NewWithT(t)
		out, err := exec.Command(bin, "run", "--model", "dome", "--out", t.TempDir()).CombinedOutput()
		g.Expect(exitCode(err)).To(Equal(2))
		g.Expect(string(out)).To(ContainSubstring("--model iot or --model move"))
		out, err = exec.Command(bin, "camera", "serve").CombinedOutput()
		g.Expect(exitCode(err)).To(Equal(2))
		g.Expect(string(out)).To(ContainSubstring("--state DIR is required"))
	})

	t.Run("the same seed gives the same verdicts and evidence", func(t *testing.T) {
		g := NewWithT(t)
		filter := "AUD-1 || AUTH-5 || PBD-2 || AUTH-3 || NET-2"
		var runs []reports.Report
		for range 2 {
			out := t.TempDir()
			cmd := exec.Command(bin, "run", "--seed", "11", "--label-filter", filter, "--out", out)
			stdout, err := cmd.Output()
			g.Expect(err).NotTo(HaveOccurred(), "%s", stdout)
			g.Expect(string(stdout)).To(ContainSubstring("5 passed"))
			f, err := os.Open(filepath.Join(out, "report.json"))
			g.Expect(err).NotTo(HaveOccurred())
			rep, err := reports.ReadJSON(f)
			f.Close()
			g.Expect(err).NotTo(HaveOccurred())
			runs = append(runs, rep)
		}
		g.Expect(runs[0].Summary).To(Equal(runs[1].Summary))
		for i, r := range runs[0].Requirements {
			other := runs[1].Requirements[i]
			g.Expect(other.Verdict).To(Equal(r.Verdict), r.ID)
			g.Expect(len(other.Specs)).To(Equal(len(r.Specs)))
			for j, s := range r.Specs {
				g.Expect(len(other.Specs[j].Evidence)).To(Equal(len(s.Evidence)))
				for k, e := range s.Evidence {
					g.Expect(string(other.Specs[j].Evidence[k].Value)).To(Equal(string(e.Value)), "%s evidence %q", r.ID, e.Name)
				}
			}
		}
	})
}

func TestDecrypt(t *testing.T) {
	bin := buildBinary(t)
	g := NewWithT(t)
	nas := t.TempDir()
	k, err := record.NewKeyring("correct horse battery", record.Options{KDF: record.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}}, rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	day := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	frame := []byte{0xFF, 0xD8, 0xFF, 0xD9}
	write := func(name string, at time.Time) string {
		sealed, err := record.Seal(k, at, record.Meta{Start: at, End: at.Add(time.Second), Kind: "manual"}, [][]byte{frame}, rand.Reader)
		g.Expect(err).NotTo(HaveOccurred())
		path := filepath.Join(nas, name)
		g.Expect(os.WriteFile(path, sealed, 0o600)).To(Succeed())
		return path
	}
	good := write("a.vssr", day)
	old := write("b.vssr", day.Add(-72*time.Hour))
	g.Expect(k.Destroy(k.BucketStart(day.Add(-72 * time.Hour)))).To(Succeed())
	stored, err := k.Marshal()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.WriteFile(filepath.Join(nas, "keyring.json"), stored, 0o600)).To(Succeed())
	kwFile := filepath.Join(t.TempDir(), "kw")
	g.Expect(os.WriteFile(kwFile, []byte("correct horse battery\n"), 0o600)).To(Succeed())

	out := t.TempDir()
	stdout, err := exec.Command(bin, "decrypt", "--keyword-file", kwFile, "--out", out, good).Output()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(stdout)).To(ContainSubstring("1 frames"))
	jpgs, _ := filepath.Glob(filepath.Join(out, "*", "frame-0001.jpg"))
	g.Expect(jpgs).To(HaveLen(1))
	b, _ := os.ReadFile(jpgs[0])
	g.Expect(b).To(Equal(frame))

	wrong := filepath.Join(t.TempDir(), "kw")
	g.Expect(os.WriteFile(wrong, []byte("Correct horse battery"), 0o600)).To(Succeed())
	msg, err := exec.Command(bin, "decrypt", "--keyword-file", wrong, "--out", t.TempDir(), good).CombinedOutput()
	g.Expect(exitCode(err)).To(Equal(2))
	g.Expect(string(msg)).To(ContainSubstring("keyword does not open"))

	tampered := filepath.Join(nas, "c.vssr")
	data, _ := os.ReadFile(good)
	data[len(data)-3] ^= 1
	g.Expect(os.WriteFile(tampered, data, 0o600)).To(Succeed())
	msg, err = exec.Command(bin, "decrypt", "--keyword-file", kwFile, "--out", t.TempDir(), good, tampered, old).CombinedOutput()
	g.Expect(exitCode(err)).To(Equal(1))
	g.Expect(string(msg)).To(ContainSubstring("c.vssr: the record is damaged or was altered"))
	g.Expect(string(msg)).To(ContainSubstring("b.vssr: the record is past its deletion period"))
	g.Expect(string(msg)).To(ContainSubstring("a.vssr: 1 frames"))
}
