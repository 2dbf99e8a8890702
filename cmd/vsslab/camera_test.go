package main

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/scenarios/target"
)

func TestBoardTargets(t *testing.T) {
	bin := buildBinary(t)

	t.Run("camera serve --board sim: runs the camera on the virtual board", func(t *testing.T) {
		g := NewWithT(t)
		cmd := exec.Command(bin, "camera", "serve", "--board", "sim:sim-ov5640", "--state", filepath.Join(t.TempDir(), "state"),
			"--https", "127.0.0.1:0", "--http", "", "--rtsp", "")
		stdout, err := cmd.StdoutPipe()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cmd.Start()).To(Succeed())
		defer cmd.Process.Kill()
		line, err := bufio.NewReader(stdout).ReadBytes('\n')
		g.Expect(err).NotTo(HaveOccurred())
		var ready map[string]string
		g.Expect(json.Unmarshal(line, &ready)).To(Succeed())
		client := target.PinnedClient(func() string { return ready["cert_sha256"] })
		resp, err := client.Get(ready["https"] + "/api/v1/live.jpg")
		g.Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		g.Expect(resp.StatusCode).To(Equal(200), "frames come through the board's sensor")
		g.Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		g.Eventually(done, 20*time.Second).Should(Receive(BeNil()))
	})

	t.Run("camera serve on a real board says what is missing", func(t *testing.T) {
		g := NewWithT(t)
		out, err := exec.Command(bin, "camera", "serve", "--board", "rpi-ov5640", "--state", t.TempDir()).CombinedOutput()
		g.Expect(exitCode(err)).To(Equal(2))
		// Here no bus is registered; on a Pi without the camera module the bus answers and the video
		// device is what is missing.
		g.Expect(string(out)).To(Or(ContainSubstring(`no I2C bus named "I2C1"`), ContainSubstring("open /dev/video0: no such device")))

		// A profile without a video device is refused before anything is opened.
		data, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "boards", "rpi-ov5640.yaml"))
		g.Expect(err).NotTo(HaveOccurred())
		var kept []string
		for _, l := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(l, "video:") {
				kept = append(kept, l)
			}
		}
		file := filepath.Join(t.TempDir(), "no-video.yaml")
		g.Expect(os.WriteFile(file, []byte(strings.Join(kept, "\n")), 0o600)).To(Succeed())
		out, err = exec.Command(bin, "camera", "serve", "--board", file, "--state", t.TempDir()).CombinedOutput()
		g.Expect(exitCode(err)).To(Equal(2))
		g.Expect(string(out)).To(ContainSubstring("camera serve --board rpi-ov5640: the profile names no video device (video:, e.g. /dev/video0)"))
	})

	t.Run("run --target hil:FILE needs the camera's address and pin; --board needs hil-sim", func(t *testing.T) {
		g := NewWithT(t)
		out, err := exec.Command(bin, "run", "--target", "hil:rpi-ov5640", "--out", t.TempDir()).CombinedOutput()
		g.Expect(exitCode(err)).To(Equal(2))
		g.Expect(string(out)).To(ContainSubstring("needs the camera on the bench"))
		out, err = exec.Command(bin, "run", "--board", "sim-ov5640", "--out", t.TempDir()).CombinedOutput()
		g.Expect(exitCode(err)).To(Equal(2))
		g.Expect(string(out)).To(ContainSubstring("needs --target hil-sim"))
	})

	t.Run("run --target container refuses a binary a FROM scratch image cannot run", func(t *testing.T) {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		dynamic := false
		for _, p := range f.Progs {
			dynamic = dynamic || p.Type == elf.PT_INTERP
		}
		if !dynamic {
			t.Skip("the test's vsslab is static here (no cgo), so this run would start the whole suite")
		}
		g := NewWithT(t)
		out, err := exec.Command(bin, "run", "--target", "container", "--out", t.TempDir()).CombinedOutput()
		g.Expect(exitCode(err)).To(Equal(2))
		g.Expect(string(out)).To(ContainSubstring("is dynamically linked; a FROM scratch image needs a static one (CGO_ENABLED=0 go build ./cmd/vsslab)"))
	})
}
