package target

import (
	"bufio"
	"context"
	"crypto/sha256"
	"debug/elf"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"vsslab/camera/tlscert"
)

// KindContainer is the kind of the target that runs the reference camera as a container image.
const KindContainer = "container"

// ErrNoEngine matches the error of a container target on a machine where no Docker engine answers:
// a reason to skip the container run, never to pass it.
var ErrNoEngine = errors.New("no Docker engine answers")

// cameraDockerfile builds the camera's image FROM scratch: no image is pulled, so the target works
// on a machine without a registry.
//
//go:embed camera.Dockerfile
var cameraDockerfile []byte

// The ports the camera in the container listens on, on its own loopback address. The address is the
// target's alone, so the usual ports never collide, and they stay the same across a power cycle.
const (
	containerState = "/state" // the image's state directory, as camera.Dockerfile makes it
	containerHTTPS = "8443"
	containerHTTP  = "8080"
	containerRTSP  = "8554"
)

// ContainerOptions describe the camera container.
type ContainerOptions struct {
	// Model is "iot" or "move"; Seed chooses the simulated scene and the serial number.
	Model string
	Seed  int64
	// Binary is a statically linked vsslab (CGO_ENABLED=0, as `make build` makes it) to package; ""
	// builds one from the module's source with the go command, as `go test ./scenarios/` can.
	Binary string
	// Dir is where the image's build context is prepared. Required.
	Dir string
	// Ready bounds the wait for the camera after a start; 2 minutes when zero.
	Ready time.Duration
}

// Container is the reference camera packaged as a container image (FROM scratch: the static vsslab
// binary and nothing else) and run by the Docker engine through testcontainers-go. It is what a
// firmware team ships and a buyer receives: a separate file system and process, reached only over
// the network, with its wall clock and its own simulated sensor. The container shares the host's
// network namespace and listens on a loopback address of its own, so every packet stays on this
// machine and a port scan of that address sees the camera's listeners alone.
//
// Reset and power are the container's life cycle: a factory reset replaces the container by a new
// one from the same image (a fresh state directory, the same serial), a power cycle stops and starts
// it (the state survives, as flash does). It has no virtual clock, ground truth, card or lines, so
// the specs that need them are not applicable.
type Container struct {
	o             ContainerOptions
	image         string
	host, control string
	client        *http.Client

	mu  sync.Mutex
	c   testcontainers.Container
	pin string
}

// NewContainer packages the camera, starts it and waits until it answers. An engine that does not
// answer gives an error matching ErrNoEngine.
func NewContainer(ctx context.Context, o ContainerOptions) (*Container, error) {
	if o.Model != "iot" && o.Model != "move" {
		return nil, fmt.Errorf("container target: model %q is not iot or move", o.Model)
	}
	if o.Dir == "" {
		return nil, errors.New("container target: no work directory")
	}
	if o.Ready <= 0 {
		o.Ready = 2 * time.Minute
	}
	// The reaper testcontainers starts by default is an image from a registry; this target removes
	// its containers itself (Close, FactoryReset, and a killed run's at the next start), so it works
	// where nothing can be pulled.
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	if o.Binary != "" {
		if err := checkStatic(o.Binary); err != nil {
			return nil, fmt.Errorf("container target: %w", err)
		}
	}
	if err := engineAnswers(ctx); err != nil {
		return nil, err
	}
	bin := o.Binary
	if bin == "" {
		var err error
		if bin, err = buildStatic(ctx, o.Dir); err != nil {
			return nil, fmt.Errorf("container target: %w", err)
		}
	}
	image, err := buildImage(ctx, bin, o.Dir)
	if err != nil {
		return nil, fmt.Errorf("container target: %w", err)
	}
	t := &Container{o: o, image: image, host: "127.0.0.1"}
	if own, err := ownLoopback(); err == nil {
		if control, err := ownLoopback(); err == nil && control != own {
			t.host, t.control = own, control
		}
	}
	t.client = PinnedClient(t.CertificateSHA256)
	if err := t.start(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// engineAnswers asks the Docker engine for its info.
func engineAnswers(ctx context.Context) error {
	p, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(tclog.NewNoopLogger()))
	if err != nil {
		return fmt.Errorf("container target: %w: %v", ErrNoEngine, err)
	}
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.Health(hctx); err != nil { // Health closes p
		return fmt.Errorf("container target: %w: %v", ErrNoEngine, err)
	}
	return nil
}

// buildStatic builds cmd/vsslab of the module the go command finds from the working directory, with
// cgo off, into dir.
func buildStatic(ctx context.Context, dir string) (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("no go command to build the camera: pass a static vsslab binary (CGO_ENABLED=0 go build ./cmd/vsslab)")
	}
	gomod, err := exec.CommandContext(ctx, goCmd, "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return "", fmt.Errorf("build the camera: not inside vsslab's source (go env GOMOD: %q, %v)", strings.TrimSpace(string(gomod)), err)
	}
	out := filepath.Join(dir, "vsslab-static")
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", out, "vsslab/cmd/vsslab")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the camera: %w: %s", err, b)
	}
	return out, nil
}

// checkStatic says whether the ELF file at path needs no dynamic loader, as a FROM scratch image
// requires.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("camera binary %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("camera binary %s is dynamically linked; a FROM scratch image needs a static one (CGO_ENABLED=0 go build ./cmd/vsslab)", path)
		}
	}
	return nil
}

// buildImage builds the camera's image from bin and returns its reference, vsslab-camera:HASH with
// HASH from the binary, so the same binary is built once and a changed one never runs under an old
// tag. It also does the engine's housekeeping while it holds a connection to it: older camera images
// (pruneImages) and containers of killed runs (removeOrphans) are removed.
func buildImage(ctx context.Context, bin, dir string) (string, error) {
	if err := checkStatic(bin); err != nil {
		return "", err
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", fmt.Errorf("read the camera binary: %w", err)
	}
	sum := sha256.Sum256(data)
	tag := hex.EncodeToString(sum[:8])
	bctx := filepath.Join(dir, "image")
	if err := os.MkdirAll(filepath.Join(bctx, "state"), 0o755); err != nil {
		return "", fmt.Errorf("build context: %w", err)
	}
	if err := os.WriteFile(filepath.Join(bctx, "Dockerfile"), cameraDockerfile, 0o644); err != nil {
		return "", fmt.Errorf("build context: %w", err)
	}
	if err := os.WriteFile(filepath.Join(bctx, "vsslab"), data, 0o755); err != nil {
		return "", fmt.Errorf("build context: %w", err)
	}
	p, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(tclog.NewNoopLogger()))
	if err != nil {
		return "", fmt.Errorf("build image: %w", err)
	}
	defer p.Close()
	ref, err := p.BuildImage(ctx, &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context: bctx, Dockerfile: "Dockerfile", Repo: "vsslab-camera", Tag: tag, KeepImage: true,
	}})
	if err != nil {
		return "", fmt.Errorf("build image: %w", err)
	}
	pruneImages(ctx, p.Client(), ref, keepImages)
	removeOrphans(ctx, p.Client())
	return ref, nil
}

// Labels the target puts on its containers: what made it, and which process on which host owns it.
const (
	labelTarget = "org.vsslab.target"
	labelOwner  = "org.vsslab.owner"
)

// owner is this process as labelOwner names it: host name and process ID.
func owner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// removeOrphans removes the camera containers a run on this host left behind when it was killed
// before Close: the job testcontainers' reaper does, without an image to pull. A container whose
// owning process still runs, or that another host's run owns, is left alone, as is any error.
func removeOrphans(ctx context.Context, api client.APIClient) {
	list, err := api.ContainerList(ctx, client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", labelTarget+"="+KindContainer)})
	if err != nil {
		return
	}
	host, _ := os.Hostname()
	for _, c := range list.Items {
		h, pidText, ok := strings.Cut(c.Labels[labelOwner], "/")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || h != host || pid <= 0 || processAlive(pid) {
			continue
		}
		_, _ = api.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
	}
}

// processAlive says whether a process with that ID exists on this host.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// keepImages is how many camera images, the newest, a build leaves on the engine: every change to
// the code is a new binary and a new image, and a developer's disk should not fill with old ones.
const keepImages = 3

// pruneImages removes the older vsslab-camera images tagged by a binary's hash, keeping the newest
// keep and never ref. It is housekeeping: an image in use by a container, or any error, is left.
func pruneImages(ctx context.Context, api client.APIClient, ref string, keep int) {
	list, err := api.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", "vsslab-camera")})
	if err != nil {
		return
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool { return items[i].Created > items[j].Created })
	kept := 0
	for _, im := range items {
		ours := false
		for _, tag := range im.RepoTags {
			ours = ours || hashTag.MatchString(tag)
		}
		if !ours || slices.Contains(im.RepoTags, ref) || slices.Contains(im.RepoTags, "vsslab-camera:latest") {
			continue
		}
		if kept++; kept < keep {
			continue
		}
		for _, tag := range im.RepoTags {
			_, _ = api.ImageRemove(ctx, tag, client.ImageRemoveOptions{PruneChildren: true})
		}
	}
}

// hashTag matches the tags the target gives its images.
var hashTag = regexp.MustCompile(`^vsslab-camera:[0-9a-f]{16}$`)

// start creates and starts a new container (a factory-new camera) and waits for its ready line.
func (t *Container) start(ctx context.Context) error {
	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image: t.image,
			Cmd: []string{"--model", t.o.Model, "--seed", fmt.Sprint(t.o.Seed),
				"--https", net.JoinHostPort(t.host, containerHTTPS),
				"--http", net.JoinHostPort(t.host, containerHTTP),
				"--rtsp", net.JoinHostPort(t.host, containerRTSP)},
			Labels: map[string]string{labelTarget: KindContainer, labelOwner: owner()},
			HostConfigModifier: func(hc *container.HostConfig) {
				hc.NetworkMode = "host"
			},
		},
		Started: true,
		Logger:  tclog.NewNoopLogger(),
	}
	c, err := testcontainers.GenericContainer(ctx, req)
	if err != nil {
		if c != nil {
			_ = c.Terminate(context.Background())
		}
		return fmt.Errorf("container target: start the camera: %w", err)
	}
	t.mu.Lock()
	t.c = c
	t.mu.Unlock()
	return t.awaitReady(ctx, 1)
}

// readyLine is the line `vsslab camera serve` prints once it listens.
type readyLine struct {
	Event string `json:"event"`
	HTTPS string `json:"https"`
	Cert  string `json:"cert_sha256"`
}

// awaitReady waits until the container has printed its n-th ready line (one per start) and the API
// answers with the certificate that line names. It polls an outside program coming up, as the peers
// do; no behaviour under test is timed by it.
func (t *Container) awaitReady(ctx context.Context, n int) error {
	deadline := time.Now().Add(t.o.Ready)
	var last error
	for {
		ready, err := t.readyLines(ctx)
		switch {
		case err != nil:
			last = err
		case len(ready) < n:
			last = fmt.Errorf("%d of %d ready lines so far", len(ready), n)
		default:
			r := ready[n-1]
			if r.HTTPS != t.BaseURL() {
				return fmt.Errorf("container target: the camera listens on %s, not %s", r.HTTPS, t.BaseURL())
			}
			if pin := t.CertificateSHA256(); pin != strings.ToLower(r.Cert) {
				return fmt.Errorf("container target: the camera announced certificate %s but keeps %s", r.Cert, pin)
			}
			t.client.CloseIdleConnections()
			if _, last = fetchDevice(ctx, t.client, t.BaseURL()); last == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container target: the camera was not ready within %s: %v; its log: %s", t.o.Ready, last, t.tail(ctx))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("container target: waiting for the camera: %w (last: %v)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// readyLines reads the container's log for the ready lines printed so far.
func (t *Container) readyLines(ctx context.Context) ([]readyLine, error) {
	rc, err := t.logs(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var out []readyLine
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if i := strings.IndexByte(string(line), '{'); i >= 0 && strings.Contains(string(line), `"event":"ready"`) {
			var r readyLine
			if json.Unmarshal(line[i:], &r) == nil && r.Event == "ready" {
				out = append(out, r)
			}
		}
	}
	return out, sc.Err()
}

// logs opens the container's log, stdout and stderr, from its first start.
func (t *Container) logs(ctx context.Context) (io.ReadCloser, error) {
	t.mu.Lock()
	c := t.c
	t.mu.Unlock()
	if c == nil {
		return nil, errors.New("the camera's container is gone")
	}
	rc, err := c.Logs(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the camera's log: %w", err)
	}
	return rc, nil
}

// tail is the end of the container's log, for an error message.
func (t *Container) tail(ctx context.Context) string {
	rc, err := t.logs(ctx)
	if err != nil {
		return err.Error()
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Info asks the camera who it is.
func (t *Container) Info(ctx context.Context) (Info, error) {
	d, err := fetchDevice(ctx, t.client, t.BaseURL())
	if err != nil {
		return Info{}, fmt.Errorf("container target: %w", err)
	}
	return Info{Kind: KindContainer, Model: d.Model, Firmware: d.Firmware, Serial: d.Serial}, nil
}

// BaseURL is the camera's HTTPS API.
func (t *Container) BaseURL() string { return "https://" + net.JoinHostPort(t.host, containerHTTPS) }

// HTTPURL is the camera's redirecting plain-HTTP port.
func (t *Container) HTTPURL() string { return "http://" + net.JoinHostPort(t.host, containerHTTP) }

// RTSPURL is the camera's live stream.
func (t *Container) RTSPURL() string {
	return "rtsp://" + net.JoinHostPort(t.host, containerRTSP) + "/live"
}

// CertificateSHA256 is the fingerprint of the certificate the camera keeps in its flash now, read
// through the container runtime as a bench reads it off a board's console. It is read at every call:
// a factory reset through the API makes a new certificate, and the harness must follow it the moment
// the reset returns, never trusting whatever the network presents. While the camera's files cannot be
// read (the container is stopped) it is the last one read.
func (t *Container) CertificateSHA256() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.c == nil {
		return t.pin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if pin, err := readPin(ctx, t.c); err == nil {
		t.pin = pin
	}
	return t.pin
}

// readPin copies the camera's certificate out of the container and returns its SHA-256.
func readPin(ctx context.Context, c testcontainers.Container) (string, error) {
	rc, err := c.CopyFileFromContainer(ctx, path.Join(containerState, tlscert.CertFile))
	if err != nil {
		return "", fmt.Errorf("read the camera's certificate: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<10))
	if err != nil {
		return "", fmt.Errorf("read the camera's certificate: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", errors.New("the camera's certificate file holds no PEM certificate")
	}
	sum := sha256.Sum256(block.Bytes)
	return hex.EncodeToString(sum[:]), nil
}

// FactoryReset replaces the container by a new one from the same image: the state directory lives
// in the container's own layer, so the new camera starts in factory state, with a new certificate.
func (t *Container) FactoryReset(ctx context.Context) error {
	t.mu.Lock()
	old := t.c
	t.mu.Unlock()
	if err := old.Terminate(ctx); err != nil {
		return fmt.Errorf("container target: remove the camera: %w", err)
	}
	return t.start(ctx)
}

// PowerCycle stops the container (SIGTERM, then SIGKILL after 10 s, as a supply cut would not wait)
// and starts it again; the state survives, and the camera comes back with the same certificate.
func (t *Container) PowerCycle(ctx context.Context) error {
	t.mu.Lock()
	c := t.c
	t.mu.Unlock()
	before, err := t.readyLines(ctx)
	if err != nil {
		return fmt.Errorf("container target: %w", err)
	}
	grace := 10 * time.Second
	if err := c.Stop(ctx, &grace); err != nil {
		return fmt.Errorf("container target: power off: %w", err)
	}
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("container target: power on: %w", err)
	}
	return t.awaitReady(ctx, len(before)+1)
}

// Close removes the container; the image stays, for the next run with the same binary.
func (t *Container) Close() error {
	t.mu.Lock()
	c := t.c
	t.c = nil
	t.mu.Unlock()
	if c == nil {
		return errors.New("container target: already closed")
	}
	t.client.CloseIdleConnections()
	if err := c.Terminate(context.Background()); err != nil {
		return fmt.Errorf("container target: remove the camera: %w", err)
	}
	return nil
}

// ScanHost is the camera's own loopback address, and a control address where it does not listen.
func (t *Container) ScanHost() (host, shared string) {
	if t.control == "" {
		return "", ""
	}
	return t.host, t.control
}

var _ Scannable = (*Container)(nil)
