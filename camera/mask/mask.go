// Package mask obscures image areas before anything is encoded (WP 2.1.3 setup a, MASK-1..3).
//
// A mask overwrites the frame buffer itself: pixelation sets each tile to its mean, a colour mask fills
// its area. Nothing keeps the original pixels, so no output (live image, stream, recording, event image)
// can carry them.
//
// Areas are snapped outward to the 16-pixel grid of JPEG's 4:2:0 macroblocks, and pixelation tiles are
// multiples of 16 pixels on the same grid. So no coded block ever mixes masked and unmasked pixels, or
// two tiles: the encoded image inside a colour mask does not depend on the source at all, and inside a
// pixelation mask nothing finer than a tile survives the codec either. A mask therefore covers up to 15
// pixels more than asked on each side, never less.
package mask

import (
	"fmt"
	"image"
	"strconv"
	"strings"
	"time"
)

// Grid is the block grid masks snap to: a 4:2:0 JPEG macroblock.
const Grid = 16

// Styles of masking.
const (
	Pixelate = "pixelate"
	Color    = "color"
	// Playback masks are pixelated at playback for viewers without the right to remove them
	// (MASK-5), and on live images for everyone. They are not burnt into recordings.
	Playback = "playback"
)

// Mask is one obscured area as it stands in the settings (`masks`).
type Mask struct {
	ID string `json:"id"`
	// Rect is [x, y, w, h] as fractions (0..1) of the frame, or of the scene for a PTZ camera's
	// privacy zones.
	Rect [4]float64 `json:"rect"`
	// Style is "pixelate", "color" or "playback".
	Style string `json:"style"`
	// Tile is the pixelation tile size in pixels: a multiple of 16, from 16 to 256.
	Tile int `json:"tile,omitempty"`
	// Color is the fill colour "#RRGGBB" of a colour mask.
	Color string `json:"color,omitempty"`
	// Schedule limits the mask to time windows (MASK-3); empty means always.
	Schedule []Window `json:"schedule,omitempty"`
}

// Window is a daily time window in UTC: from "HH:MM" to "HH:MM" (to may be earlier than from: the
// window then crosses midnight), on the given days ("mon".."sun"; empty means every day).
type Window struct {
	Days []string `json:"days,omitempty"`
	From string   `json:"from"`
	To   string   `json:"to"`
}

// MaxMasks bounds how many masks a camera holds.
const MaxMasks = 32

// Validate checks one mask and names the first bad field.
func (m Mask) Validate() error {
	if m.ID == "" || len(m.ID) > 64 || strings.ContainsFunc(m.ID, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return fmt.Errorf("id: must be 1 to 64 printable ASCII characters")
	}
	x, y, w, h := m.Rect[0], m.Rect[1], m.Rect[2], m.Rect[3]
	for i, v := range m.Rect {
		if v != v || v < 0 || v > 1 {
			return fmt.Errorf("rect[%d]: must be a fraction between 0 and 1", i)
		}
	}
	if w <= 0 || h <= 0 {
		return fmt.Errorf("rect: width and height must be greater than 0")
	}
	if x+w > 1+1e-9 || y+h > 1+1e-9 {
		return fmt.Errorf("rect: the area must lie inside the frame (x+w and y+h at most 1)")
	}
	switch m.Style {
	case Pixelate, Playback:
		if m.Tile < Grid || m.Tile > 256 || m.Tile%Grid != 0 {
			return fmt.Errorf("tile: must be a multiple of %d between %d and 256 pixels", Grid, Grid)
		}
		if m.Color != "" {
			return fmt.Errorf("color: only a colour mask has a colour")
		}
	case Color:
		if _, _, _, err := parseColor(m.Color); err != nil {
			return fmt.Errorf("color: %w", err)
		}
		if m.Tile != 0 {
			return fmt.Errorf("tile: only a pixelation mask has tiles")
		}
	default:
		return fmt.Errorf("style: must be %q, %q or %q", Pixelate, Color, Playback)
	}
	for i, w := range m.Schedule {
		if err := w.validate(); err != nil {
			return fmt.Errorf("schedule[%d].%w", i, err)
		}
	}
	if len(m.Schedule) > 16 {
		return fmt.Errorf("schedule: at most 16 windows")
	}
	return nil
}

// ValidateAll checks a mask list: each mask, unique ids, at most MaxMasks.
func ValidateAll(ms []Mask) error {
	if len(ms) > MaxMasks {
		return fmt.Errorf("at most %d masks", MaxMasks)
	}
	seen := map[string]bool{}
	for i, m := range ms {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("[%d].%w", i, err)
		}
		if seen[m.ID] {
			return fmt.Errorf("[%d].id: %q is used twice", i, m.ID)
		}
		seen[m.ID] = true
	}
	return nil
}

var days = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func (w Window) validate() error {
	for _, d := range w.Days {
		ok := false
		for _, k := range days {
			ok = ok || d == k
		}
		if !ok {
			return fmt.Errorf("days: %q is not one of mon, tue, wed, thu, fri, sat, sun", d)
		}
	}
	if _, err := clockMinutes(w.From); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if _, err := clockMinutes(w.To); err != nil {
		return fmt.Errorf("to: %w", err)
	}
	if w.From == w.To {
		return fmt.Errorf("to: must differ from from")
	}
	return nil
}

func clockMinutes(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) != 2 || len(mm) != 2 {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return h*60 + m, nil
}

// Active tells whether the mask applies at t (UTC).
func (m Mask) Active(t time.Time) bool {
	if len(m.Schedule) == 0 {
		return true
	}
	t = t.UTC()
	for _, w := range m.Schedule {
		if w.covers(t) {
			return true
		}
	}
	return false
}

func (w Window) covers(t time.Time) bool {
	from, _ := clockMinutes(w.From)
	to, _ := clockMinutes(w.To)
	now := t.Hour()*60 + t.Minute()
	day := t.Weekday()
	if from < to {
		return onDay(w.Days, day) && now >= from && now < to
	}
	// Across midnight: the part after from belongs to today, the part before to to yesterday.
	if now >= from {
		return onDay(w.Days, day)
	}
	return now < to && onDay(w.Days, (day+6)%7)
}

func onDay(list []string, d time.Weekday) bool {
	if len(list) == 0 {
		return true
	}
	for _, s := range list {
		if s == days[d] {
			return true
		}
	}
	return false
}

func parseColor(s string) (r, g, b uint8, err error) {
	if len(s) != 7 || s[0] != '#' {
		return 0, 0, 0, fmt.Errorf("%q is not a colour #RRGGBB", s)
	}
	v, perr := strconv.ParseUint(s[1:], 16, 32)
	if perr != nil {
		return 0, 0, 0, fmt.Errorf("%q is not a colour #RRGGBB", s)
	}
	return uint8(v >> 16), uint8(v >> 8), uint8(v), nil
}

// Area is the pixel rectangle a mask covers in a w×h frame, snapped outward to the 16-pixel grid and
// clipped to the frame.
func Area(rect [4]float64, w, h int) image.Rectangle {
	// A millionth of a pixel of slack absorbs floating-point noise (0.1+0.2 is not 0.3), so a
	// rectangle on the grid stays on it.
	const eps = 1e-6
	x0 := int(rect[0]*float64(w) + eps)
	y0 := int(rect[1]*float64(h) + eps)
	x1 := ceilInt((rect[0]+rect[2])*float64(w) - eps)
	y1 := ceilInt((rect[1]+rect[3])*float64(h) - eps)
	r := image.Rect(x0/Grid*Grid, y0/Grid*Grid, (x1+Grid-1)/Grid*Grid, (y1+Grid-1)/Grid*Grid)
	return r.Intersect(image.Rect(0, 0, w, h))
}

func ceilInt(v float64) int {
	i := int(v)
	if float64(i) < v {
		i++
	}
	return i
}
