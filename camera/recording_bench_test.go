package camera_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"vsslab/camera"
	"vsslab/camera/record"
	"vsslab/fixtures"
	"vsslab/sim/card"
	simclock "vsslab/sim/clock"
	"vsslab/sim/scene"
	"vsslab/sim/sensor"
)

// recordingFPS records n one-frame events at 1920×1080 (capture, mask, encode, seal, write to the
// card) on a camera whose scene moves between events, and returns events per second of wall time.
func recordingFPS(b *testing.B, cam *camera.Camera, clk *simclock.Virtual, n int) float64 {
	b.Helper()
	admin := camera.Actor{Name: "admin", Level: 3, Source: "bench"}
	start := time.Now()
	for range n {
		if err := clk.Advance(100 * time.Millisecond); err != nil {
			b.Fatal(err)
		}
		e, err := cam.TriggerEvent(admin, "manual", camera.SourceAPI)
		if err != nil || !e.Recorded || e.Record == "" {
			b.Fatalf("event not recorded: %+v %v", e, err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkRecording1080p is recording throughput with encryption off, with AES-256-GCM and with
// XTEA-128: one camera per case, each on its own virtual clock from the same instant, so all three
// record the very same frames, and the ratios (encrypted / plain) mean something on any machine. The
// card lives in memory (/dev/shm where the host has it) so that the host's disk does not drown the
// difference.
func BenchmarkRecording1080p(b *testing.B) {
	const events = 30
	rates := map[string]float64{}
	for range b.N {
		for _, c := range []string{"plain", "aes-256-gcm", "xtea-128"} {
			cam, clk := benchCamera(b, c)
			rates[c] += recordingFPS(b, cam, clk, events) / float64(b.N)
			_ = cam.Close()
		}
	}
	b.ReportMetric(rates["plain"], "plain_events/s")
	b.ReportMetric(rates["aes-256-gcm"], "aes_events/s")
	b.ReportMetric(rates["xtea-128"], "xtea_events/s")
	b.ReportMetric(rates["aes-256-gcm"]/rates["plain"], "aes_ratio")
	b.ReportMetric(rates["xtea-128"]/rates["plain"], "xtea_ratio")
}

// benchCamera is an armed 1080p camera on the lobby scene recording with cipher ("plain": none).
func benchCamera(b *testing.B, cipher string) (*camera.Camera, *simclock.Virtual) {
	b.Helper()
	dir := b.TempDir()
	if tmp, err := mkdirTemp("/dev/shm"); err == nil {
		dir = tmp
		b.Cleanup(func() { removeAll(tmp) })
	}
	clk := simclock.New(simclock.Epoch())
	spec, err := scene.Load(fixtures.Scenes(), "lobby")
	if err != nil {
		b.Fatal(err)
	}
	sc, err := scene.New(spec, 1)
	if err != nil {
		b.Fatal(err)
	}
	sens, err := sensor.NewScene(clk, sc, 1920, 1080)
	if err != nil {
		b.Fatal(err)
	}
	sd, err := card.New(filepath.Join(dir, "card"), 64<<30, clk)
	if err != nil {
		b.Fatal(err)
	}
	cam, err := camera.New(camera.Config{
		StateDir: filepath.Join(dir, "state"), Model: camera.ModelIoT, Serial: "VSS-BENCH", Clock: clk,
		Sensor: sens, Card: card.Medium{Card: sd}, KDF: record.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1},
	})
	if err != nil {
		b.Fatal(err)
	}
	admin := camera.Actor{Name: "admin", Level: 3, Source: "bench"}
	if _, err := cam.SetPassword(admin, "admin", newAdminPassword); err != nil {
		b.Fatal(err)
	}
	if _, err := cam.PatchSettings(admin, []byte(`{"arming":{"general":true,"storage":true},"events":{"video_motion":false},"storage":{"pre_event":"0s","post_event":"0s"}}`)); err != nil {
		b.Fatal(err)
	}
	if cipher != "plain" {
		if _, err := cam.PatchSettings(admin, []byte(`{"storage":{"cipher":"`+cipher+`","keyword":"a bench keyword"}}`)); err != nil {
			b.Fatal(err)
		}
		if err := cam.Reboot(admin); err != nil {
			b.Fatal(err)
		}
	}
	return cam, clk
}

func mkdirTemp(parent string) (string, error) { return os.MkdirTemp(parent, "vsslab-bench-") }

func removeAll(dir string) { _ = os.RemoveAll(dir) }
