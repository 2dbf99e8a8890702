package target

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"vsslab/sim/world"
)

// newContainer starts the container target for a test, skipping where no Docker engine answers.
func newContainer(t *testing.T) *Container {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := NewContainer(ctx, ContainerOptions{Model: "iot", Seed: 7, Dir: t.TempDir()})
	if errors.Is(err, ErrNoEngine) {
		t.Skipf("container target needs a Docker engine: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestContainerLifeCycle(t *testing.T) {
	c := newContainer(t)
	ctx := context.Background()
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != KindContainer || info.Model != "iot" || info.Serial != world.Serial(7) {
		t.Fatalf("info %+v", info)
	}
	d, err := fetchDevice(ctx, c.client, c.BaseURL())
	if err != nil || !d.FactoryState {
		t.Fatalf("a new container is not in factory state: %+v %v", d, err)
	}
	host, shared := c.ScanHost()
	if !strings.HasPrefix(c.BaseURL(), "https://"+host+":") || shared == "" || shared == host {
		t.Fatalf("scan host %s / %s for %s", host, shared, c.BaseURL())
	}
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort(shared, containerHTTPS), time.Second); err == nil {
		conn.Close()
		t.Fatal("the camera answers on the control address too")
	}

	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	list, err := p.Client().ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", "vsslab-camera")})
	if err != nil {
		t.Fatal(err)
	}
	ours := 0
	for _, im := range list.Items {
		if slices.Contains(im.RepoTags, "vsslab-camera:latest") {
			continue // make image's, which the target leaves alone
		}
		for _, tag := range im.RepoTags {
			if hashTag.MatchString(tag) {
				ours++
				break
			}
		}
	}
	if ours > keepImages {
		t.Errorf("%d camera images left on the engine, want at most %d", ours, keepImages)
	}

	// A container a killed run left behind (its owner process is gone) is removed by the next
	// build; one whose owner runs is kept.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	hostName, _ := os.Hostname()
	orphan := func(pid int) testcontainers.Container {
		o, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: testcontainers.ContainerRequest{
			Image:  c.image,
			Labels: map[string]string{labelTarget: KindContainer, labelOwner: fmt.Sprintf("%s/%d", hostName, pid)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = o.Terminate(context.Background()) })
		return o
	}
	left, mine := orphan(dead.Process.Pid), orphan(os.Getpid())
	removeOrphans(ctx, p.Client())
	if _, err := p.Client().ContainerInspect(ctx, left.GetContainerID(), client.ContainerInspectOptions{}); err == nil {
		t.Error("a dead run's container is still there")
	}
	if _, err := p.Client().ContainerInspect(ctx, mine.GetContainerID(), client.ContainerInspectOptions{}); err != nil {
		t.Errorf("a live run's container was removed: %v", err)
	}

	pin := c.CertificateSHA256()
	if err := c.PowerCycle(ctx); err != nil {
		t.Fatal(err)
	}
	if c.CertificateSHA256() != pin {
		t.Fatal("a power cycle changed the certificate: the state did not survive")
	}
	if err := c.FactoryReset(ctx); err != nil {
		t.Fatal(err)
	}
	if c.CertificateSHA256() == pin {
		t.Fatal("a factory reset kept the certificate")
	}
	if _, err := c.Info(ctx); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, containerHTTPS), time.Second); err == nil {
		conn.Close()
		t.Fatal("the camera still listens after Close")
	}
	if err := c.Close(); err == nil {
		t.Fatal("a second Close succeeded")
	}
}

func TestContainerRefusesADynamicBinary(t *testing.T) {
	err := checkStatic("/bin/sh")
	if err == nil || !strings.Contains(err.Error(), "dynamically linked") {
		t.Fatalf("got %v", err)
	}
	if err := checkStatic("/etc/hostname"); err == nil {
		t.Fatal("a text file passed as a binary")
	}
}

func TestContainerRefusesAnUnknownModel(t *testing.T) {
	if _, err := NewContainer(context.Background(), ContainerOptions{Model: "dome", Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "dome") {
		t.Fatalf("got %v", err)
	}
}
