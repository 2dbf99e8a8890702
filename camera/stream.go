package camera

import (
	"fmt"
	"sync"
	"time"

	"vsslab/camera/rtpjpeg"
	"vsslab/camera/rtsp"
)

// FrameRate is the camera's nominal frame rate.
const FrameRate = 10

// StreamMTU bounds the RTP payloads the pipeline cuts each frame into, below a typical Ethernet MTU
// with room for RTP, UDP and IP headers (and RTSP's interleaved framing over TCP).
const StreamMTU = 1400

// EncodedFrame is one masked, encoded frame as every live stream receives it: its RFC 2435 RTP
// payloads (cut once, sent to every session) and its capture time.
type EncodedFrame = rtsp.Frame

// AudioChunk is microphone samples, G.711 µ-law at 8 kHz; Captured is the time of the first sample.
type AudioChunk = rtsp.AudioChunk

// Microphone is where sound comes from; only read while an admin has switched it on (PBD-1).
type Microphone interface {
	// Read returns µ-law samples for [from, to).
	Read(from, to time.Time) ([]byte, error)
}

// subscription is one consumer of the live stream. Its channels are buffered; a consumer that falls
// behind loses frames, never slows the camera.
type subscription struct {
	frames chan EncodedFrame
	audio  chan AudioChunk
	hub    *hub
	once   sync.Once
}

// Frames delivers encoded frames until Close.
func (s *subscription) Frames() <-chan rtsp.Frame { return s.frames }

// Audio delivers microphone chunks, or is nil when the subscription asked for none.
func (s *subscription) Audio() <-chan rtsp.AudioChunk { return s.audio }

// Close ends the subscription.
func (s *subscription) Close() {
	s.once.Do(func() { s.hub.remove(s) })
}

// hub fans frames out to subscriptions.
type hub struct {
	mu   sync.Mutex
	subs map[*subscription]struct{}
}

func newHub() *hub { return &hub{subs: map[*subscription]struct{}{}} }

func (h *hub) add(audio bool) *subscription {
	s := &subscription{frames: make(chan EncodedFrame, 4), hub: h}
	if audio {
		s.audio = make(chan AudioChunk, 16)
	}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (h *hub) remove(s *subscription) {
	h.mu.Lock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.frames)
		if s.audio != nil {
			close(s.audio)
		}
	}
	h.mu.Unlock()
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func (h *hub) wantsAudio() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.audio != nil {
			return true
		}
	}
	return false
}

func (h *hub) send(f EncodedFrame, a *AudioChunk) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.frames <- f:
		default:
		}
		if a != nil && s.audio != nil {
			select {
			case s.audio <- *a:
			default:
			}
		}
	}
}

// closeAll ends every subscription (privacy mode switched on, camera closing).
func (h *hub) closeAll() {
	h.mu.Lock()
	subs := make([]*subscription, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	for _, s := range subs {
		s.Close()
	}
}

// Subscribe starts receiving the live stream. audio is honoured only while the microphone is on.
func (c *Camera) Subscribe(audio bool) (rtsp.Subscription, error) {
	if err := c.checkPrivacy(); err != nil {
		return nil, err
	}
	s, err := c.Settings()
	if err != nil {
		return nil, err
	}
	return c.hub.add(audio && s.Microphone.Enabled && c.cfg.Microphone != nil), nil
}

// StreamAllowed tells whether live streaming may start now.
func (c *Camera) StreamAllowed() error { return c.checkPrivacy() }

// AudioOn tells whether the stream carries sound: the microphone is on and present.
func (c *Camera) AudioOn() bool {
	s, err := c.Settings()
	return err == nil && s.Microphone.Enabled && c.cfg.Microphone != nil
}

// produce is the stream's heartbeat: at every frame time it captures, masks, encodes and packetizes
// one frame and hands it to every subscriber. With nobody watching it does nothing. It runs until
// stop is closed.
func (c *Camera) produce(stop <-chan struct{}) {
	period := time.Second / FrameRate
	next := c.cfg.Clock.Now()
	var last time.Time
	for {
		select {
		case <-stop:
			return
		case <-c.cfg.Clock.Until(next):
		}
		now := c.cfg.Clock.Now()
		next = next.Add(period)
		if next.Before(now) {
			// Virtual time jumped (or the host stalled): skip the missed frames.
			next = now.Add(period)
		}
		if c.hub.count() == 0 || c.checkPrivacy() != nil {
			last = time.Time{}
			continue
		}
		f, err := c.encodeLive()
		if err != nil {
			continue
		}
		var chunk *AudioChunk
		if c.cfg.Microphone != nil && c.hub.wantsAudio() && c.AudioOn() {
			from := last
			if from.IsZero() || now.Sub(from) > time.Second {
				from = now.Add(-period)
			}
			if pcm, err := c.cfg.Microphone.Read(from, now); err == nil && len(pcm) > 0 {
				chunk = &AudioChunk{PCMU: pcm, Captured: from}
			}
		}
		last = now
		c.hub.send(f, chunk)
	}
}

// encodeLive captures and encodes one frame for the stream with the stream's own encoder.
func (c *Camera) encodeLive() (EncodedFrame, error) {
	c.streamEnc.Lock()
	defer c.streamEnc.Unlock()
	jpg, captured, err := c.frame(c.streamEnc.enc)
	if err != nil {
		return EncodedFrame{}, err
	}
	payloads, err := rtpjpeg.Packetize(jpg, StreamMTU)
	if err != nil {
		return EncodedFrame{}, fmt.Errorf("packetize frame: %w", err)
	}
	return EncodedFrame{Payloads: payloads, Captured: captured}, nil
}
