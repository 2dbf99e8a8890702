package camera

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"regexp"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"vsslab/camera/mask"
	"vsslab/camera/motion"
	"vsslab/camera/notify"
	"vsslab/camera/record"
	"vsslab/camera/settings"
	"vsslab/camera/store"
)

// maxEvents bounds the in-memory event list.
const maxEvents = 256

// MaxRecording bounds one record: events that keep coming (a busy scene) extend a recording up to
// this length, then the next event starts a new record, so records stay small enough to copy and
// play back, and expire bucket by bucket.
const MaxRecording = time.Minute

// motionRetrigger is how often continuous motion raises another event: a motion event is raised when
// motion starts, and again while it lasts only this often, so a busy scene does not flood the event
// list with one event per frame.
const motionRetrigger = 10 * time.Second

// Event is one event the camera noticed, as GET /api/v1/events shows it. It holds no picture.
type Event struct {
	ID       int64     `json:"id"`
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"`
	Source   string    `json:"source"`
	Armed    bool      `json:"armed"`
	Recorded bool      `json:"recorded"`
	Record   string    `json:"record,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Event sources.
const (
	SourceAPI    = "api"
	SourceInput  = "input"
	SourceVideo  = "video"
	SourceCamera = "camera"
)

var eventKind = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// capturedFrame is one masked, encoded frame kept for a recording.
type capturedFrame struct {
	jpeg []byte
	at   time.Time
}

// recording is an event being recorded: frames so far and until when it runs.
type recording struct {
	kind    string
	frames  []capturedFrame
	until   time.Time
	events  []int64
	regions []record.Region
}

// recorder is the recording side of the camera: the pre-event buffer, the event being recorded, the
// event list and the motion detector. Its lock is never held while the card is written.
type recorder struct {
	mu       sync.Mutex
	pre      []capturedFrame
	active   *recording
	events   []*Event
	nextID   int64
	full     bool
	lastShot time.Time
	// moving is whether the previous frame showed motion; lastMotion when a motion event was raised.
	moving     bool
	lastMotion time.Time
	// detector belongs to the record loop's goroutine alone (a frame's comparison takes too long to
	// hold mu through); others ask it to forget its reference frame through forgetMotion, under mu.
	detector     *motion.Detector
	forgetMotion bool
	kick         chan struct{}

	// enc encodes recorded frames; lastRaw/lastJPEG let an unchanged picture (a still scene, a
	// camera at night) reuse the previous encoding instead of spending the CPU again.
	enc      *encoder
	lastRaw  []byte
	lastJPEG []byte
	// write serialises sealing and card writes, so records leave in order.
	write sync.Mutex
}

func newRecorder() (*recorder, error) {
	enc, err := newEncoder()
	if err != nil {
		return nil, err
	}
	det, err := motion.New(motion.Options{})
	if err != nil {
		return nil, err
	}
	return &recorder{enc: enc, detector: det, kick: make(chan struct{}, 1)}, nil
}

// reset forgets everything in memory, as a power cycle does: an event being recorded is lost.
func (r *recorder) reset() {
	r.mu.Lock()
	r.pre, r.active, r.full, r.lastShot = nil, nil, false, time.Time{}
	r.moving, r.lastMotion = false, time.Time{}
	r.forgetMotion = true
	r.mu.Unlock()
}

func (r *recorder) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// addEvent appends an event to the list. The caller holds r.mu.
func (r *recorder) addEventLocked(e Event) *Event {
	r.nextID++
	e.ID = r.nextID
	p := &e
	r.events = append(r.events, p)
	if len(r.events) > maxEvents {
		r.events = r.events[len(r.events)-maxEvents:]
	}
	return p
}

func (r *recorder) eventLocked(id int64) *Event {
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].ID == id {
			return r.events[i]
		}
	}
	return nil
}

// Events returns the recent events, oldest first.
func (c *Camera) Events() ([]Event, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	c.rec.mu.Lock()
	defer c.rec.mu.Unlock()
	out := make([]Event, len(c.rec.events))
	for i, e := range c.rec.events {
		out[i] = *e
	}
	return out, nil
}

// TriggerEvent is an event from outside the picture: the API (who is the caller) or the motion input.
// It returns once the event's picture is taken and, when no post-event time is set, once its record is
// on the card.
func (c *Camera) TriggerEvent(who Actor, kind, source string) (Event, error) {
	if err := c.ready(); err != nil {
		return Event{}, err
	}
	if !eventKind.MatchString(kind) {
		return Event{}, &settings.FieldError{Code: "invalid_value", Key: "kind", Message: "must be 1 to 32 characters of a-z, 0-9, _ and -"}
	}
	e := c.trigger(kind, source, nil)
	if source == SourceAPI {
		c.record(who, "event.trigger", kind, "ok", map[string]string{"recorded": fmt.Sprint(e.Recorded)})
	}
	return e, nil
}

// notifyEvent sends an event to the channels that take events, but only while the general arming and
// the notification arming are both on (PBD-2).
func (c *Camera) notifyEvent(s settings.Settings, kind, source string, at time.Time) {
	if !s.Arming.General || !s.Arming.Notifications {
		return
	}
	c.sendNotification(kind, "event from "+source, at)
}

// armed tells whether events are recorded now (PBD-2: general and storage arming both on).
func armed(s settings.Settings) bool { return s.Arming.General && s.Arming.Storage }

// trigger notes an event and, when armed, starts or extends a recording. shot is the frame the event
// was seen in (video motion); nil takes one now.
func (c *Camera) trigger(kind, source string, shot *capturedFrame) Event {
	s, _ := c.Settings()
	st, _ := c.storeAndPeriod()
	now := c.cfg.Clock.Now()
	on := armed(s) && st != nil
	var regions []record.Region
	switch {
	case on && shot == nil:
		if f, rg, err := c.captureForRecording(nil); err == nil {
			shot, regions = &f, rg
		}
	case on:
		regions = c.playbackRegions(shot.at)
	}
	c.rec.mu.Lock()
	if a := c.rec.active; on && a != nil && len(a.frames) > 0 && !now.Before(a.frames[0].at.Add(MaxRecording)) {
		// The running record is as long as a record gets: this event starts the next one.
		c.rec.mu.Unlock()
		c.finishRecording()
		c.rec.mu.Lock()
	}
	ev := c.rec.addEventLocked(Event{Time: now, Kind: kind, Source: source, Armed: on})
	if !on {
		out := *ev
		c.rec.mu.Unlock()
		c.notifyEvent(s, kind, source, now)
		return out
	}
	if shot == nil {
		ev.Error = "the picture could not be taken"
		out := *ev
		c.rec.mu.Unlock()
		c.mon.countEvent(true, ev.Error)
		c.notifyEvent(s, kind, source, now)
		return out
	}
	r := c.rec.active
	if r == nil {
		r = &recording{kind: kind, regions: regions}
		c.rec.active = r
	}
	if len(r.frames) == 0 {
		// The pre-event frames, then the event's own.
		from := now.Add(-time.Duration(s.Storage.PreEvent))
		for _, f := range c.rec.pre {
			if !f.at.Before(from) && !f.at.After(shot.at) {
				r.frames = append(r.frames, f)
			}
		}
	}
	if n := len(r.frames); n == 0 || r.frames[n-1].at.Before(shot.at) {
		r.frames = append(r.frames, *shot)
	}
	r.until = later(r.until, now.Add(time.Duration(s.Storage.PostEvent)))
	if limit := r.frames[0].at.Add(MaxRecording); r.until.After(limit) {
		r.until = limit
	}
	r.events = append(r.events, ev.ID)
	ev.Recorded = true
	due := !r.until.After(now)
	c.rec.mu.Unlock()
	if due {
		c.finishRecording()
	}
	c.rec.wake()
	c.notifyEvent(s, kind, source, now)
	c.rec.mu.Lock()
	out := *c.rec.eventLocked(ev.ID)
	c.rec.mu.Unlock()
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// playbackRegions are the frame areas of the playback masks active at t (MASK-5).
func (c *Camera) playbackRegions(t time.Time) []record.Region {
	c.masks.RLock()
	defer c.masks.RUnlock()
	var out []record.Region
	place := c.placement()
	for _, m := range c.masks.pbMasks {
		if !m.Active(t) {
			continue
		}
		rect := m.Rect
		if place != nil {
			var ok bool
			if rect, ok = place(rect); !ok {
				continue
			}
		}
		a := mask.Area(rect, c.size.X, c.size.Y)
		if a.Empty() {
			continue
		}
		out = append(out, record.Region{X: a.Min.X, Y: a.Min.Y, W: a.Dx(), H: a.Dy(), Tile: m.Tile})
	}
	return out
}

// captureForRecording captures, masks with the in-camera masks only (playback masks stay out of
// recordings: they are put back at playback) and encodes one frame. observe, when given, sees the
// masked picture before it is encoded (the motion detector). A picture identical to the previous one
// reuses its encoding.
func (c *Camera) captureForRecording(observe func(*image.YCbCr)) (capturedFrame, []record.Region, error) {
	r := c.rec
	r.enc.Lock()
	defer r.enc.Unlock()
	c.masks.RLock()
	f, err := c.cfg.Sensor.Capture()
	if err != nil {
		c.masks.RUnlock()
		return capturedFrame{}, nil, fmt.Errorf("capture: %w", err)
	}
	if _, err := c.masks.painter.Apply(f.Image, f.Captured, c.placement()); err != nil {
		c.masks.RUnlock()
		return capturedFrame{}, nil, fmt.Errorf("mask: %w", err)
	}
	c.masks.RUnlock()
	regions := c.playbackRegions(f.Captured)
	if observe != nil {
		observe(f.Image)
	}
	img := f.Image
	if r.lastJPEG != nil && samePicture(r.lastRaw, img) {
		return capturedFrame{jpeg: r.lastJPEG, at: f.Captured}, regions, nil
	}
	out, err := r.enc.enc.Encode(nil, img)
	if err != nil {
		return capturedFrame{}, nil, fmt.Errorf("encode: %w", err)
	}
	r.lastJPEG = append([]byte(nil), out...)
	r.lastRaw = appendPicture(r.lastRaw[:0], img)
	return capturedFrame{jpeg: r.lastJPEG, at: f.Captured}, regions, nil
}

// appendPicture appends the visible pixels of img's three planes.
func appendPicture(dst []byte, img *image.YCbCr) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range h {
		dst = append(dst, img.Y[y*img.YStride:y*img.YStride+w]...)
	}
	cw, ch := (w+1)/2, (h+1)/2
	for y := range ch {
		dst = append(dst, img.Cb[y*img.CStride:y*img.CStride+cw]...)
		dst = append(dst, img.Cr[y*img.CStride:y*img.CStride+cw]...)
	}
	return dst
}

func samePicture(prev []byte, img *image.YCbCr) bool {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	if len(prev) != w*h+2*cw*ch {
		return false
	}
	for y := range h {
		if !bytes.Equal(prev[:w], img.Y[y*img.YStride:y*img.YStride+w]) {
			return false
		}
		prev = prev[w:]
	}
	for y := range ch {
		if !bytes.Equal(prev[:cw], img.Cb[y*img.CStride:y*img.CStride+cw]) || !bytes.Equal(prev[cw:2*cw], img.Cr[y*img.CStride:y*img.CStride+cw]) {
			return false
		}
		prev = prev[2*cw:]
	}
	return true
}

// finishRecording seals the running recording and writes it to the card. A full card stops
// recording without deleting anything, and raises storage_full once per episode (DEL-4).
func (c *Camera) finishRecording() {
	r := c.rec
	r.write.Lock()
	defer r.write.Unlock()
	r.mu.Lock()
	rec := r.active
	r.active = nil
	r.mu.Unlock()
	if rec == nil || len(rec.frames) == 0 {
		return
	}
	st, _ := c.storeAndPeriod()
	if st == nil {
		return
	}
	meta := record.Meta{
		Start: rec.frames[0].at, End: rec.frames[len(rec.frames)-1].at, Kind: rec.kind,
		Camera: c.cfg.Serial, PlaybackMasks: rec.regions,
	}
	frames := make([][]byte, len(rec.frames))
	for i, f := range rec.frames {
		frames[i] = f.jpeg
		meta.FrameTimes = append(meta.FrameTimes, f.at)
	}
	e, err := st.Write(meta, frames)
	r.mu.Lock()
	for _, id := range rec.events {
		if ev := r.eventLocked(id); ev != nil {
			if err != nil {
				ev.Recorded, ev.Error = false, err.Error()
			} else {
				ev.Record = e.ID
			}
		}
	}
	for range rec.events {
		if err != nil {
			c.mon.countEvent(true, err.Error())
		} else {
			c.mon.countEvent(false, "")
		}
	}
	raise := false
	switch {
	case errors.Is(err, store.ErrFull):
		raise = !r.full
		r.full = true
	case err == nil:
		r.full = false
	}
	r.mu.Unlock()
	if raise {
		// The audit entry first, then the event: whoever sees the event finds the entry.
		c.record(system(), "storage.full", "card", "failed", map[string]string{"recording": "stopped", "reason": "the card has no room; no record is deleted before its deletion period ends"})
		r.mu.Lock()
		r.addEventLocked(Event{Time: c.cfg.Clock.Now(), Kind: "storage_full", Source: SourceCamera})
		r.mu.Unlock()
		// A safeguard of the camera: it goes to every channel configured for it, armed or not.
		c.sendNotification(notify.KindStorageFull, "the card is full: recording stopped, nothing was deleted", c.cfg.Clock.Now())
	}
	if err == nil {
		c.kickJanitor()
	} else if !errors.Is(err, store.ErrFull) {
		c.record(system(), "storage.write", "card", "failed", map[string]string{"reason": err.Error()})
	}
}

// recordLoop captures frames while storage is armed and something needs them: the pre-event buffer,
// the motion detector, or a recording in progress, at storage.fps on the camera's clock. It finishes a
// recording when its post-event time has passed.
func (c *Camera) recordLoop(stop <-chan struct{}) {
	r := c.rec
	var next time.Time
	for {
		s, err := c.Settings()
		st, _ := c.storeAndPeriod()
		now := c.cfg.Clock.Now()
		r.mu.Lock()
		active := r.active
		var until time.Time
		if active != nil {
			until = active.until
		}
		r.mu.Unlock()
		if active != nil && !until.After(now) {
			c.finishRecording()
			continue
		}
		need := err == nil && st != nil && armed(s) &&
			(s.Storage.PreEvent > 0 || s.Events.VideoMotion || active != nil)
		var due <-chan time.Time
		if need {
			period := time.Second / time.Duration(s.Storage.FPS)
			if next.IsZero() || next.Before(now.Add(-period)) {
				next = now
			}
			wake := next
			if active != nil && until.Before(wake) {
				wake = until
			}
			due = c.cfg.Clock.Until(wake)
		} else {
			next = time.Time{}
			r.mu.Lock()
			r.pre = nil
			r.mu.Unlock()
			r.detector.Reset()
		}
		select {
		case <-stop:
			return
		case <-r.kick:
			continue
		case <-due:
		}
		now = c.cfg.Clock.Now()
		if now.Before(next) {
			continue // woken for the end of a recording
		}
		next = next.Add(time.Second / time.Duration(s.Storage.FPS))
		c.captureTick(s, now)
	}
}

// captureTick takes one frame for the pre-event buffer, the detector and a running recording.
func (c *Camera) captureTick(s settings.Settings, now time.Time) {
	r := c.rec
	moved := false
	f, _, err := c.captureForRecording(func(img *image.YCbCr) {
		if s.Events.VideoMotion {
			r.mu.Lock()
			forget := r.forgetMotion
			r.forgetMotion = false
			r.mu.Unlock()
			if forget {
				r.detector.Reset()
			}
			moved = r.detector.Observe(img).Motion
		}
	})
	if err != nil {
		return
	}
	r.mu.Lock()
	keep := f.at.Add(-time.Duration(s.Storage.PreEvent))
	i := 0
	for i < len(r.pre) && r.pre[i].at.Before(keep) {
		i++
	}
	r.pre = append(r.pre[i:], f)
	if a := r.active; a != nil && !f.at.After(a.until) {
		if n := len(a.frames); n == 0 || a.frames[n-1].at.Before(f.at) {
			a.frames = append(a.frames, f)
		}
	}
	raise := moved && (!r.moving || f.at.Sub(r.lastMotion) >= motionRetrigger)
	r.moving = moved
	if raise {
		r.lastMotion = f.at
	}
	r.mu.Unlock()
	if raise {
		c.trigger("motion", SourceVideo, &f)
	}
}

// nextEdge waits for the next edge detected on an input line, and reports false once stop is closed
// (checked before and after each wait, so an edge that comes with the stop is not acted on). The
// waits are short so that stop is seen; Close also halts the line, which ends a wait at once.
func nextEdge(pin gpio.PinIn, stop <-chan struct{}) bool {
	for {
		select {
		case <-stop:
			return false
		default:
		}
		if pin.WaitForEdge(200 * time.Millisecond) {
			select {
			case <-stop:
				return false
			default:
				return true
			}
		}
	}
}

// watchMotionInput turns rising edges on the motion input line into events.
func (c *Camera) watchMotionInput(stop <-chan struct{}) {
	pin := c.cfg.MotionInput
	if err := pin.In(gpio.PullDown, gpio.RisingEdge); err != nil {
		c.record(system(), "input.motion", pin.Name(), "failed", map[string]string{"reason": err.Error()})
		return
	}
	for nextEdge(pin, stop) {
		if pin.Read() != gpio.High {
			continue
		}
		s, err := c.Settings()
		if err != nil || !s.Events.MotionInput {
			continue
		}
		c.trigger("input", SourceInput, nil)
	}
}
