// Package bench runs the reference camera on an opened board: its frames from a frame source (the
// board's video device through hil/v4l2 on a real board), its lines from the board's GPIOs, and its
// HTTPS API and RTSP stream on the network. It is what `vsslab camera serve --board FILE` runs; the
// simulated world (sim/world) builds the same camera on the virtual board with its own simulated
// microphone, card and network.
package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"vsslab/camera"
	"vsslab/camera/api"
	"vsslab/camera/clock"
	"vsslab/camera/rtsp"
	"vsslab/camera/store"
	"vsslab/camera/users"
	"vsslab/hil/board"
)

// Frames is the camera's frame source on the board; Close stops it.
type Frames interface {
	camera.Sensor
	Close() error
}

// Options describe the camera on a board.
type Options struct {
	// StateDir holds the camera's settings, users, keys and audit log.
	StateDir string
	// Model is camera.ModelIoT; a board has no pan-tilt head, so camera.New refuses the move model.
	Model string
	// Serial is the device's serial number.
	Serial string
	// Clock is the wall clock on a bench (clock.System).
	Clock clock.Clock
	// HTTPS, HTTP and RTSP are the listen addresses (":0" picks a port; HTTP or RTSP "" opens none).
	HTTPS, HTTP, RTSP string
	// Hosts are the names written into the camera's self-signed certificate; localhost when empty.
	Hosts []string
	// Log receives the camera's server-side errors.
	Log *slog.Logger
	// Card is the memory card records go to (hil/sdcard on the profile's card mount point); nil on a
	// board without one, where recording answers that there is no card.
	Card store.Medium
}

// Camera is the reference camera running on a board.
type Camera struct {
	Camera *camera.Camera
	Server *api.Server
	// RTSPServer serves rtsp://…/live; nil when no RTSP address was given.
	RTSPServer *rtsp.Server
	rtspLn     net.Listener
	board      *board.Board
	frames     Frames
}

// Config is the camera's configuration on b: frames from frames, the input and output lines the
// board's profile names, and the card opts gives. The board has no microphone capture or speaker
// driver yet, so the camera runs without them; its outbound connections go straight to the network.
func Config(b *board.Board, frames camera.Sensor, opts Options) camera.Config {
	hosts := opts.Hosts
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	cfg := camera.Config{
		StateDir: opts.StateDir,
		Model:    opts.Model,
		Serial:   opts.Serial,
		Clock:    opts.Clock,
		Sensor:   frames,
		Dialer:   &net.Dialer{Timeout: 30 * time.Second},
		Hosts:    hosts,
	}
	if opts.Card != nil {
		cfg.Card = opts.Card
	}
	// A nil gpio.PinIO must stay a nil interface in the camera's narrower ones: the camera checks
	// for nil, and a typed nil would not be.
	if b.MotionIn != nil {
		cfg.MotionInput = b.MotionIn
	}
	if b.ResetIn != nil {
		cfg.ResetButton = b.ResetIn
	}
	if b.MicEnable != nil {
		cfg.MicEnable = b.MicEnable
	}
	if b.DebugEnable != nil {
		cfg.DebugEnable = b.DebugEnable
	}
	if b.LED != nil {
		cfg.LED = b.LED
	}
	return cfg
}

// Start builds the camera on b and frames (see Config) and opens its listeners. The sensor must
// already stream (ov5640 Reset, SetOutputSize, Stream(true)). Start takes b and frames over: Close
// closes them, and so does a failed Start.
func Start(b *board.Board, frames Frames, opts Options) (*Camera, error) {
	if b == nil || frames == nil {
		return nil, errors.New("start camera on board: a board and a frame source are required")
	}
	c := &Camera{board: b, frames: frames}
	fail := func(err error) (*Camera, error) {
		return nil, errors.Join(fmt.Errorf("start camera on board %s: %w", b.Profile.Name, err), c.Close())
	}
	cam, err := camera.New(Config(b, frames, opts))
	if err != nil {
		return fail(err)
	}
	c.Camera = cam
	if c.Server, err = api.Listen(cam, opts.HTTPS, opts.HTTP, opts.Log); err != nil {
		return fail(err)
	}
	if opts.RTSP == "" {
		return c, nil
	}
	stream, auth := cam.RTSP()
	rs, err := rtsp.New(rtsp.Config{Stream: stream, Auth: auth, Clock: opts.Clock, Realm: users.DigestRealm, Log: opts.Log, Random: rand.Reader})
	if err != nil {
		return fail(fmt.Errorf("start RTSP: %w", err))
	}
	ln, err := net.Listen("tcp", opts.RTSP)
	if err != nil {
		return fail(fmt.Errorf("listen for RTSP on %s: %w", opts.RTSP, err))
	}
	c.RTSPServer, c.rtspLn = rs, ln
	cam.OnPrivacy(func() { rs.EndAll("privacy mode") })
	go func() { _ = rs.Serve(ln) }()
	return c, nil
}

// RTSPURL is the live stream's URL, or "" when the camera has no RTSP server.
func (c *Camera) RTSPURL() string {
	if c.rtspLn == nil {
		return ""
	}
	return "rtsp://" + c.rtspLn.Addr().String() + "/live"
}

// Close stops the listeners (waiting up to five seconds for requests in flight), halts the motion
// input so that the camera's wait for an edge ends, closes the camera, stops the frames, powers the
// sensor down and closes the board, in that order.
func (c *Camera) Close() error {
	var errs []error
	if c.Server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, c.Server.Shutdown(ctx))
		cancel()
	}
	if c.RTSPServer != nil {
		errs = append(errs, c.RTSPServer.Close())
		_ = c.rtspLn.Close() // Serve may not have taken it over yet; closing twice is harmless
	}
	if c.board.MotionIn != nil {
		errs = append(errs, c.board.MotionIn.Halt())
	}
	if c.Camera != nil {
		errs = append(errs, c.Camera.Close())
	}
	errs = append(errs, c.frames.Close(), c.board.Sensor.Halt(), c.board.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close camera on board %s: %w", c.board.Profile.Name, err)
	}
	return nil
}
