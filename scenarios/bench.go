package scenarios

import (
	"fmt"
	"image"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/gpio"

	"vsslab/scenarios/target"
)

// The camera's line roles as a board profile names them (hil/board.Line…).
const (
	lineMicEnable   = "mic_enable"
	lineDebugEnable = "debug_enable"
)

// barsTolerance is how far a decoded JPEG may stray from the known colour bars, away from the bars'
// edges and the masks' borders (where the codec's blocks mix neighbours).
const barsTolerance = 8

// benchEvidence: the bench-only specs, which read the hardware rather than the API: PBD-1 (the
// microphone's enable line), NET-2 (the debug-enable line) and MASK-2 with the sensor's test pattern
// as the ground truth. They need a board target (Lines, TestPattern) and are not applicable on sim.
func benchEvidence(s *suite) {
	Describe("Bench: the camera's lines and sensor", Label("bench"), func() {
		It("keeps the microphone's enable line low in factory state and until an admin switches the microphone on", Label("PBD-1"), func(ctx SpecContext) {
			line := s.line(lineMicEnable)
			factory := line()
			Expect(factory).To(Equal(gpio.Low), "the microphone is unpowered in factory state")
			admin := s.takeOwnership(ctx)
			operator := s.addAccount(ctx, admin, "operator", "user")
			s.expectStatus(ctx, 403, operator, "PATCH", "/api/v1/settings", map[string]any{"microphone": map[string]any{"enabled": true}})
			afterRefusal := line()
			Expect(afterRefusal).To(Equal(gpio.Low), "a user's refused attempt leaves the microphone unpowered")
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"microphone": map[string]any{"enabled": true}})
			Expect(line()).To(Equal(gpio.High), "an admin's change powers the microphone")
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"microphone": map[string]any{"enabled": false}})
			Expect(line()).To(Equal(gpio.Low), "switching it off unpowers it again")
			evidence("mic_enable: factory, after the user's refused attempt", fmt.Sprintf("%s, %s", factory, afterRefusal))
			evidence("mic_enable: changes since power-on", s.edges(lineMicEnable))
		})

		It("keeps the debug-enable line low in factory state; only an admin can raise it", Label("NET-2"), func(ctx SpecContext) {
			line := s.line(lineDebugEnable)
			factory := line()
			Expect(factory).To(Equal(gpio.Low), "no debug access in factory state")
			admin := s.takeOwnership(ctx)
			operator := s.addAccount(ctx, admin, "operator", "user")
			byUser := s.expectStatus(ctx, 403, operator, "PATCH", "/api/v1/settings", map[string]any{"debug": map[string]any{"enabled": true}})
			Expect(line()).To(Equal(gpio.Low), "a user cannot open the debug access")
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"debug": map[string]any{"enabled": true}})
			Expect(line()).To(Equal(gpio.High), "an admin can")
			evidence("scope", "the debug-enable line, the board part of NET-2; the port scan is the Network exposure spec")
			evidence("debug_enable in factory state", factory.String())
			evidence("user's attempt", byUser.Status)
			evidence("debug_enable: changes since power-on", s.edges(lineDebugEnable))
		})

		It("masks the sensor's test pattern before encoding: the masks hold only mask, the rest is the known bars", Label("MASK-2"), func(ctx SpecContext) {
			tp, ok := s.env.Target.(target.TestPattern)
			if !ok {
				Skip("not applicable: the target's sensor cannot show its test pattern (a board target can)")
			}
			colourRect := [4]float64{0.125, 0.25, 0.25, 0.5}
			pixelRectF := [4]float64{0.5, 0.5, 0.375, 0.4375}
			const tile = 32
			admin := s.takeOwnership(ctx)
			bars, err := tp.ShowTestPattern(true)
			Expect(err).NotTo(HaveOccurred())
			w, h := bars.Bounds().Dx(), bars.Bounds().Dy()

			// Unmasked, the camera's picture is the bars: the measure works.
			plain := s.snapshot(ctx, admin)
			Expect(plain.Bounds()).To(Equal(bars.Bounds()))
			plainDev := barsDeviation(plain, bars, w, tile)
			Expect(plainDev).To(BeNumerically("<=", barsTolerance), "without masks the snapshot is the test pattern")

			masks := []map[string]any{{"id": "door", "rect": colourRect, "style": "color", "color": maskColour}}
			pixelate := s.env.Model != "move" // the move model's zones are colour only (MASK-1)
			if pixelate {
				masks = append(masks, map[string]any{"id": "desk", "rect": pixelRectF, "style": "pixelate", "tile": tile})
			}
			s.setMasks(ctx, admin, masks)
			out := s.snapshot(ctx, admin)
			colourArea := s.maskArea(ctx, admin, colourRect, w, h)
			colourDev := maxDeviation(out, colourArea, maskYCbCr())
			Expect(colourDev).To(BeNumerically("<=", colourTolerance), "the colour mask holds only the colour")
			var masked []image.Rectangle
			masked = append(masked, colourArea)
			if pixelate {
				pixArea := pixelRect(pixelRectF, w, h)
				spread, meanErr, tiles := tileStats(out, bars, pixArea, tile)
				Expect(tiles).To(BeNumerically(">=", 4))
				Expect(spread).To(BeNumerically("<=", flatTolerance), "every pixelation tile is flat")
				Expect(meanErr).To(BeNumerically("<=", meanTolerance), "each tile is the bars' mean there")
				Expect(lumaVariance(bars, pixArea)).To(BeNumerically(">", 100), "the bars have edges there to hide")
				masked = append(masked, pixArea)
				evidence("pixelation: max spread inside a tile (luma)", spread)
				evidence("pixelation: whole tiles checked", tiles)
			}
			outside := barsDeviation(out, bars, w, tile, masked...)
			Expect(outside).To(BeNumerically("<=", barsTolerance), "outside the masks the image is the known bars")
			Expect(tp.ShowTestPattern(false)).Error().NotTo(HaveOccurred())

			evidence("test pattern", fmt.Sprintf("colour bars %dx%d", w, h))
			evidence("unmasked: max deviation from the bars", plainDev)
			evidence("colour mask: max deviation from the colour", colourDev)
			evidence("outside the masks: max deviation from the bars", outside)
			evidence("test pattern and output", evidencePicture(bars, out, masked...))
		})
	})
}

// line returns a reader of one of the camera's lines, or marks the spec not applicable.
func (s *suite) line(role string) func() gpio.Level {
	GinkgoHelper()
	l, ok := s.env.Target.(target.Lines)
	if !ok {
		Skip("not applicable: the target has no board lines to probe (a bench or the hil-sim target has)")
	}
	return func() gpio.Level {
		GinkgoHelper()
		level, _, err := l.Line(role)
		Expect(err).NotTo(HaveOccurred())
		return level
	}
}

// edges lists a line's changes since power-on as evidence ("High at 08:00:01.000", …).
func (s *suite) edges(role string) []string {
	GinkgoHelper()
	_, edges, err := s.env.Target.(target.Lines).Line(role)
	Expect(err).NotTo(HaveOccurred())
	out := []string{}
	for _, e := range edges {
		out = append(out, fmt.Sprintf("%s at %s", e.Level, e.Time.Format("15:04:05.000")))
	}
	return out
}

// barsDeviation is the largest |Y|, |Cb| or |Cr| difference between out and the colour bars want,
// over the picture except the masked areas, each grown by a tile, and a tile's width either side of
// every bar edge: there the codec's 8×8 and 16×16 blocks mix neighbouring colours, which is JPEG,
// not a mask leaking or missing.
func barsDeviation(out, want *image.YCbCr, w, tile int, masked ...image.Rectangle) int {
	r := want.Bounds()
	worst := 0
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
	pixel:
		for x := r.Min.X; x < r.Max.X; x += 2 {
			for i := 1; i < 8; i++ {
				if edge := i * w / 8; x >= edge-tile/2 && x < edge+tile/2 {
					continue pixel
				}
			}
			for _, m := range masked {
				if image.Pt(x, y).In(m.Inset(-tile)) {
					continue pixel
				}
			}
			got, exp := out.YCbCrAt(x, y), want.YCbCrAt(x, y)
			worst = max(worst, absDiff(got.Y, exp.Y), absDiff(got.Cb, exp.Cb), absDiff(got.Cr, exp.Cr))
		}
	}
	return worst
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
