package mask

import (
	"encoding/json"
	"image"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestValidateNamesTheField(t *testing.T) {
	good := Mask{ID: "door", Rect: [4]float64{0.1, 0.1, 0.2, 0.2}, Style: Pixelate, Tile: 32}
	cases := map[string]func(*Mask){
		"id":               func(m *Mask) { m.ID = "" },
		"rect[2]":          func(m *Mask) { m.Rect[2] = 1.5 },
		"rect: width":      func(m *Mask) { m.Rect[3] = 0 },
		"rect: the area":   func(m *Mask) { m.Rect[0] = 0.9 },
		"tile":             func(m *Mask) { m.Tile = 20 },
		"color: only":      func(m *Mask) { m.Color = "#ff0000" },
		"style":            func(m *Mask) { m.Style = "blur" },
		"schedule[0].from": func(m *Mask) { m.Schedule = []Window{{From: "25:00", To: "08:00"}} },
		"schedule[0].days": func(m *Mask) { m.Schedule = []Window{{Days: []string{"monday"}, From: "07:00", To: "08:00"}} },
		"schedule[0].to":   func(m *Mask) { m.Schedule = []Window{{From: "07:00", To: "07:00"}} },
	}
	for field, mutate := range cases {
		t.Run(field, func(t *testing.T) {
			g := NewWithT(t)
			m := good
			mutate(&m)
			g.Expect(m.Validate()).To(MatchError(HavePrefix(field)))
		})
	}
	g := NewWithT(t)
	g.Expect(good.Validate()).To(Succeed())
	g.Expect(Mask{ID: "c", Rect: [4]float64{0, 0, 1, 1}, Style: Color, Color: "#00FF7f"}.Validate()).To(Succeed())
	g.Expect(Mask{ID: "c", Rect: [4]float64{0, 0, 1, 1}, Style: Color, Color: "red"}.Validate()).To(MatchError(HavePrefix("color")))
	g.Expect(ValidateAll([]Mask{good, good})).To(MatchError(ContainSubstring("used twice")))
}

func TestSchedules(t *testing.T) {
	g := NewWithT(t)
	office := Mask{ID: "x", Rect: [4]float64{0, 0, 1, 1}, Style: Color, Color: "#000000",
		Schedule: []Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00"}}}
	night := Mask{ID: "y", Rect: [4]float64{0, 0, 1, 1}, Style: Color, Color: "#000000",
		Schedule: []Window{{Days: []string{"fri"}, From: "22:00", To: "06:00"}}}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		g.Expect(err).NotTo(HaveOccurred())
		return tm
	}
	// 2026-01-02 is a Friday.
	g.Expect(office.Active(at("2026-01-02T07:59:59Z"))).To(BeFalse())
	g.Expect(office.Active(at("2026-01-02T08:00:00Z"))).To(BeTrue())
	g.Expect(office.Active(at("2026-01-02T17:59:00Z"))).To(BeTrue())
	g.Expect(office.Active(at("2026-01-02T18:00:00Z"))).To(BeFalse())
	g.Expect(office.Active(at("2026-01-03T12:00:00Z"))).To(BeFalse(), "Saturday")
	g.Expect(night.Active(at("2026-01-02T23:00:00Z"))).To(BeTrue())
	g.Expect(night.Active(at("2026-01-03T05:59:00Z"))).To(BeTrue(), "Saturday morning belongs to Friday's night")
	g.Expect(night.Active(at("2026-01-03T06:00:00Z"))).To(BeFalse())
	g.Expect(night.Active(at("2026-01-02T05:00:00Z"))).To(BeFalse(), "Friday morning belongs to Thursday's night")
	g.Expect(Mask{}.Active(at("2026-01-02T05:00:00Z"))).To(BeTrue(), "no schedule: always")
}

func TestAreaSnapsOutwardToTheGrid(t *testing.T) {
	g := NewWithT(t)
	r := Area([4]float64{0.1, 0.1, 0.2, 0.2}, 640, 360)
	g.Expect(r).To(Equal(image.Rect(64, 32, 192, 112)))
	g.Expect(r.Min.X % Grid).To(BeZero())
	// It never covers less than asked.
	g.Expect(r.Min.X).To(BeNumerically("<=", 64))
	g.Expect(r.Max.X).To(BeNumerically(">=", 192))
	g.Expect(Area([4]float64{0.9, 0.9, 0.1, 0.1}, 1920, 1080)).To(Equal(image.Rect(1728, 960, 1920, 1080)), "clipped to the frame")
}

func TestMasksJSON(t *testing.T) {
	g := NewWithT(t)
	var m Mask
	g.Expect(json.Unmarshal([]byte(`{"id":"a","rect":[0.1,0.2,0.3,0.4],"style":"pixelate","tile":32,"schedule":[{"from":"08:00","to":"09:00"}]}`), &m)).To(Succeed())
	g.Expect(m.Validate()).To(Succeed())
	b, err := json.Marshal(m)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(b)).To(Equal(`{"id":"a","rect":[0.1,0.2,0.3,0.4],"style":"pixelate","tile":32,"schedule":[{"from":"08:00","to":"09:00"}]}`))
}

// FuzzValidate: masks decoded from arbitrary JSON either fail validation or are safe to apply to a
// frame of any size, and cover at least their own rectangle.
func FuzzValidate(f *testing.F) {
	f.Add([]byte(`{"id":"a","rect":[0.1,0.2,0.3,0.4],"style":"pixelate","tile":32}`), 64, 48)
	f.Add([]byte(`{"id":"b","rect":[0,0,1,1],"style":"color","color":"#123456","schedule":[{"from":"23:00","to":"01:00","days":["sun"]}]}`), 30, 18)
	f.Fuzz(func(t *testing.T, data []byte, w, h int) {
		var m Mask
		if json.Unmarshal(data, &m) != nil || m.Validate() != nil {
			return
		}
		w, h = 2+abs(w)%200*2, 2+abs(h)%200*2
		p, err := NewPainter([]Mask{m})
		if err != nil {
			t.Fatalf("a valid mask was refused: %v", err)
		}
		img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		areas, err := p.Apply(img, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range areas {
			if !a.In(img.Rect) {
				t.Fatalf("area %v outside the frame %v", a, img.Rect)
			}
		}
	})
}

func abs(v int) int {
	if v < 0 {
		if v == -v {
			return 0
		}
		return -v
	}
	return v
}
