package notify

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"vsslab/sim/clock"
)

// recordingPin records every level it is set to with the virtual time (gpiotest.Pin keeps only the
// last level).
type recordingPin struct {
	clk   Clock
	mu    sync.Mutex
	edges []edge
}

type edge struct {
	at    time.Duration
	level gpio.Level
}

func (p *recordingPin) String() string                        { return "LED" }
func (p *recordingPin) Halt() error                           { return nil }
func (p *recordingPin) Name() string                          { return "LED" }
func (p *recordingPin) Number() int                           { return 7 }
func (p *recordingPin) Function() string                      { return "Out" }
func (p *recordingPin) PWM(gpio.Duty, physic.Frequency) error { return nil }
func (p *recordingPin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.edges = append(p.edges, edge{p.clk.Now().Sub(clock.Epoch()), l})
	return nil
}

func TestLEDFlashesKindPatternOnClock(t *testing.T) {
	clk := clock.New(clock.Epoch())
	pin := &recordingPin{clk: clk}
	led, err := NewLED(pin, clk, 2)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- led.Send(context.Background(), Message{Kind: KindStorageFull}) }()
	// Drive the clock one waiter at a time until Send returns.
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		default:
			if p := clk.Pending(); len(p) > 0 {
				clk.Advance(p[0].Sub(clk.Now()))
			}
		}
	}
	ms := time.Millisecond
	H, L := gpio.High, gpio.Low
	// storage_full is 2 flashes; the group is shown twice with 1 s between; the pin ends low.
	want := []edge{{0, H}, {200 * ms, L}, {400 * ms, H}, {600 * ms, L},
		{1600 * ms, H}, {1800 * ms, L}, {2000 * ms, H}, {2200 * ms, L}, {2200 * ms, L}}
	if !slices.Equal(pin.edges, want) {
		t.Fatalf("edges %v,\nwant %v", pin.edges, want)
	}
}

func TestLEDStopsLowWhenCancelled(t *testing.T) {
	clk := clock.New(clock.Epoch())
	pin := &recordingPin{clk: clk}
	led, _ := NewLED(pin, clk, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- led.Send(ctx, Message{Kind: KindStorageFailure}) }()
	eventually(t, "led on", func() bool { return len(clk.Pending()) == 1 })
	cancel()
	if err := <-done; err == nil {
		t.Fatal("cancelled flash reported success")
	}
	if last := pin.edges[len(pin.edges)-1]; last.level != gpio.Low {
		t.Fatalf("pin left %v", last.level)
	}
}

func TestNewLEDValidates(t *testing.T) {
	clk := clock.New(clock.Epoch())
	if _, err := NewLED(nil, clk, 1); err == nil {
		t.Error("nil pin accepted")
	}
	if _, err := NewLED(&recordingPin{clk: clk}, nil, 1); err == nil {
		t.Error("nil clock accepted")
	}
	if _, err := NewLED(&recordingPin{clk: clk}, clk, -1); err == nil {
		t.Error("negative repeat accepted")
	}
}
