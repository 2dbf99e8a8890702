package scenarios

import (
	"fmt"
	"image"
	"image/color"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"vsslab/scenarios/target"
)

// Codec tolerances: how far a decoded JPEG may stray from a flat area the camera painted.
const (
	flatTolerance   = 4 // max − min of luma inside a pixelation tile
	colourTolerance = 4 // |Y, Cb, Cr − mask colour|
	meanTolerance   = 4 // |output tile value − source tile mean|
)

// maskColour is the colour masks use in the specs, and its BT.601 YCbCr value.
const maskColour = "#3050C0"

func maskYCbCr() color.YCbCr {
	y, cb, cr := color.RGBToYCbCr(0x30, 0x50, 0xC0)
	return color.YCbCr{Y: y, Cb: cb, Cr: cr}
}

// obscuredAreas: MASK-1..4 (WP 2.1.3 setup a, 2.2 b; GDPR Art. 5(1)(c), 25).
func obscuredAreas(s *suite) {
	Describe("Obscured image areas", func() {
		colourRect := [4]float64{0.125, 0.25, 0.25, 0.5}
		pixelRectF := [4]float64{0.5, 0.5, 0.375, 0.4375}
		const tile = 32

		It("masks areas with flat pixelation tiles or a full-surface colour", Label("MASK-1"), func(ctx SpecContext) {
			truth := s.truth()
			admin := s.takeOwnership(ctx)
			operator := s.addAccount(ctx, admin, "operator", "user")
			colourOnly := s.env.Model == "move"
			if colourOnly {
				// WP 2.2 b: the move model's privacy zones are colour areas; pixelation is refused.
				s.refusePixelation(ctx, operator, pixelRectF, tile)
				s.setMasks(ctx, operator, []map[string]any{{"id": "door", "rect": colourRect, "style": "color", "color": maskColour}})
			} else {
				s.setMasks(ctx, operator, []map[string]any{
					{"id": "door", "rect": colourRect, "style": "color", "color": maskColour},
					{"id": "desk", "rect": pixelRectF, "style": "pixelate", "tile": tile},
				})
			}
			src := truth()
			out := s.snapshot(ctx, admin)
			Expect(out.Bounds()).To(Equal(src.Bounds()))
			w, h := src.Bounds().Dx(), src.Bounds().Dy()

			colourArea := s.maskArea(ctx, admin, colourRect, w, h)
			dev := maxDeviation(out, colourArea, maskYCbCr())
			Expect(dev).To(BeNumerically("<=", colourTolerance), "every pixel inside the colour mask is the colour")
			evidence("colour mask: max deviation from the colour", dev)
			if colourOnly {
				evidence("source and output", evidencePicture(src, out, colourArea))
				return
			}

			pixArea := pixelRect(pixelRectF, w, h)
			spread, meanErr, tiles := tileStats(out, src, pixArea, tile)
			Expect(tiles).To(BeNumerically(">=", 4))
			Expect(spread).To(BeNumerically("<=", flatTolerance), "every tile is flat")
			Expect(meanErr).To(BeNumerically("<=", meanTolerance), "each tile is its mean (pixelation, not some other fill)")
			Expect(lumaVariance(src, pixArea)).To(BeNumerically(">", 100), "the source had detail there to hide")

			// Away from the masks the picture is the scene.
			clear := image.Rect(0, 3*h/4+tile, w/2-tile, h)
			q := lumaCorrelation(out, src, clear)
			Expect(q).To(BeNumerically(">=", 0.9), "outside the masks the output is the scene")

			evidence("pixelation: max spread inside a tile (luma)", spread)
			evidence("pixelation: max |tile value − source tile mean|", meanErr)
			evidence("pixelation: whole tiles checked", tiles)
			evidence("correlation with the scene outside the masks", round3(q))
			evidence("source and output", evidencePicture(src, out, colourArea, pixArea))
		})

		It("masks in the camera before encoding, so no output carries the original pixels", Label("MASK-2"), func(ctx SpecContext) {
			truth := s.truth()
			admin := s.takeOwnership(ctx)
			w, h := truth().Bounds().Dx(), truth().Bounds().Dy()

			// The first image after the change is already masked.
			pixArea := pixelRect(pixelRectF, w, h)
			colourOnly := s.env.Model == "move"
			if colourOnly {
				s.refusePixelation(ctx, admin, pixelRectF, tile)
			} else {
				s.setMasks(ctx, admin, []map[string]any{{"id": "desk", "rect": pixelRectF, "style": "pixelate", "tile": tile}})
				src, out := truth(), s.snapshot(ctx, admin)
				inside := residualCorrelation(out, src, pixArea, tile)
				// The control: the same measure where nothing is masked sees the detail.
				control := residualCorrelation(out, src, image.Rect(0, pixArea.Min.Y, pixArea.Min.X-tile, pixArea.Max.Y), tile)
				Expect(control).To(BeNumerically(">", 0.8), "the measure sees detail where nothing is masked")
				Expect(inside).To(BeNumerically("<", 0.05), "no detail finer than a tile survives inside the mask")
				evidence("pixelation: residual correlation inside the mask", round3(inside))
				evidence("pixelation: residual correlation where unmasked (control)", round3(control))
			}

			s.setMasks(ctx, admin, []map[string]any{{"id": "door", "rect": colourRect, "style": "color", "color": maskColour}})
			src, out := truth(), s.snapshot(ctx, admin)
			colourArea := s.maskArea(ctx, admin, colourRect, w, h)
			Expect(lumaVariance(src, colourArea)).To(BeNumerically(">", 100), "the source varies inside the colour mask")
			afterChange := maxDeviation(out, colourArea, maskYCbCr())
			Expect(afterChange).To(BeNumerically("<=", colourTolerance), "the output there does not follow the source")
			// The earlier mask is gone with the change: the first image shows the scene there.
			Expect(lumaCorrelation(out, src, pixArea)).To(BeNumerically(">", 0.9))

			// After a reboot and after a power cycle, the very first image is masked.
			s.expectStatus(ctx, 200, admin, "POST", "/api/v1/system/reboot", nil)
			afterReboot := maxDeviation(s.snapshot(ctx, admin), colourArea, maskYCbCr())
			Expect(afterReboot).To(BeNumerically("<=", colourTolerance))
			Expect(s.env.Target.PowerCycle(ctx)).To(Succeed())
			afterPower := maxDeviation(s.snapshot(ctx, admin), colourArea, maskYCbCr())
			Expect(afterPower).To(BeNumerically("<=", colourTolerance))

			evidence("colour mask: max deviation, first image after the change", afterChange)
			evidence("colour mask: max deviation, first image after reboot / power cycle", []int{afterReboot, afterPower})
			evidence("output path", "live snapshot (GET /api/v1/live.jpg)")
		})

		It("applies a scheduled mask exactly in its window of time", Label("MASK-3"), func(ctx SpecContext) {
			clk := s.clock()
			truth := s.truth()
			admin := s.takeOwnership(ctx)
			w, h := truth().Bounds().Dx(), truth().Bounds().Dy()
			colourArea := s.maskArea(ctx, admin, colourRect, w, h)
			// A window starting one hour from now and lasting one hour.
			now := clk.Now()
			from := now.Add(time.Hour).Truncate(time.Minute)
			to := from.Add(time.Hour)
			s.setMasks(ctx, admin, []map[string]any{{"id": "night", "rect": colourRect, "style": "color", "color": maskColour,
				"schedule": []map[string]any{{"from": from.Format("15:04"), "to": to.Format("15:04")}}}})

			masked := func() bool {
				GinkgoHelper()
				return maxDeviation(s.snapshot(ctx, admin), colourArea, maskYCbCr()) <= colourTolerance
			}
			seen := map[string]bool{}
			step := func(label string, at time.Time) {
				GinkgoHelper()
				Expect(clk.Advance(at.Sub(clk.Now()))).To(Succeed())
				seen[label] = masked()
			}
			step("window start − 1 s", from.Add(-time.Second))
			step("window start", from)
			step("window end − 1 s", to.Add(-time.Second))
			step("window end", to)
			Expect(seen).To(Equal(map[string]bool{"window start − 1 s": false, "window start": true, "window end − 1 s": true, "window end": false}))
			evidence("masked at", seen)
		})

		It("keeps a PTZ privacy zone on its scene area when the view pans and zooms", Label("MASK-4"), func(ctx SpecContext) {
			if s.env.Model != "move" {
				Skip("not applicable: MASK-4 concerns PTZ cameras (the move model)")
			}
			truth := s.truth()
			admin := s.takeOwnership(ctx)
			zone := [4]float64{0.45, 0.30, 0.1, 0.3} // scene fractions
			s.setMasks(ctx, admin, []map[string]any{{"id": "window", "rect": zone, "style": "color", "color": maskColour}})
			var state struct {
				Pan, Tilt, Zoom float64
				Scene, Frame    struct{ Width, Height int }
			}
			Expect(s.expectStatus(ctx, 200, admin, "GET", "/api/v1/ptz", nil).JSON(&state)).To(Succeed())
			geo := ptzGeometry{sceneW: state.Scene.Width, sceneH: state.Scene.Height, frameW: state.Frame.Width, frameH: state.Frame.Height}
			w, h := truth().Bounds().Dx(), truth().Bounds().Dy()
			Expect([]int{w, h}).To(Equal([]int{geo.frameW, geo.frameH}))
			homeFrac, ok := geo.sceneToFrame(zone, map[string]float64{"pan": state.Pan, "tilt": state.Tilt, "zoom": state.Zoom})
			Expect(ok).To(BeTrue())
			home := pixelRect(homeFrac, w, h)
			Expect(maxDeviation(s.snapshot(ctx, admin), home, maskYCbCr())).To(BeNumerically("<=", colourTolerance))

			views := []map[string]float64{{"pan": 0.55, "tilt": 0.5, "zoom": 2}, {"pan": 0.45, "tilt": 0.4, "zoom": 1.5}}
			results := []map[string]any{}
			for _, v := range views {
				s.expectStatus(ctx, 200, admin, "PUT", "/api/v1/ptz", v)
				src, out := truth(), s.snapshot(ctx, admin)
				inFrame, ok := geo.sceneToFrame(zone, v)
				Expect(ok).To(BeTrue())
				area := pixelRect(inFrame, w, h)
				evidence(fmt.Sprintf("view pan %.2f tilt %.2f zoom %.1f", v["pan"], v["tilt"], v["zoom"]), evidencePicture(src, out, area, home))
				dev := maxDeviation(out, area, maskYCbCr())
				Expect(dev).To(BeNumerically("<=", colourTolerance), "the zone's scene area is masked at view %v", v)
				// Where the zone stood on screen at the home view, the scene now shows through.
				outside := outsideOf(home, area, w, h)
				Expect(outside.Empty()).To(BeFalse())
				stale := meanAbsDiff(out, src, outside)
				Expect(stale).To(BeNumerically("<=", 12), "the old screen area %v shows the scene, not the zone", outside)
				Expect(meanAbsDiff(out, src, area.Inset(4))).To(BeNumerically(">", 30), "control: the zone itself differs from the scene")
				results = append(results, map[string]any{"view": v, "zone in frame": inFrame, "max deviation": dev, "mean |output − scene| where the zone stood at home": round1(stale)})

			}
			evidence("zone per view", results)
		})
	})
}

// ptzGeometry is the documented PTZ geometry (docs/api.md), written independently of the camera's.
type ptzGeometry struct{ sceneW, sceneH, frameW, frameH int }

// sceneToFrame maps a scene rectangle (fractions) to frame fractions for a view, clipped to the frame.
func (g ptzGeometry) sceneToFrame(r [4]float64, v map[string]float64) ([4]float64, bool) {
	sceneW, sceneH := float64(g.sceneW), float64(g.sceneH)
	wh := sceneH / v["zoom"]
	ww := wh * float64(g.frameW) / float64(g.frameH)
	start := func(c, size, span float64) float64 {
		if span >= size {
			return (size - span) / 2
		}
		return clampF(c*size-span/2, 0, size-span)
	}
	wx, wy := start(v["pan"], sceneW, ww), start(v["tilt"], sceneH, wh)
	x0 := clampF((r[0]*sceneW-wx)/ww, 0, 1)
	y0 := clampF((r[1]*sceneH-wy)/wh, 0, 1)
	x1 := clampF(((r[0]+r[2])*sceneW-wx)/ww, 0, 1)
	y1 := clampF(((r[1]+r[3])*sceneH-wy)/wh, 0, 1)
	if x1 <= x0 || y1 <= y0 {
		return [4]float64{}, false
	}
	return [4]float64{x0, y0, x1 - x0, y1 - y0}, true
}

func clampF(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }

// outsideOf is the largest band of a that does not come within 16 pixels (the codec's reach) of b.
func outsideOf(a, b image.Rectangle, w, h int) image.Rectangle {
	b = b.Inset(-16)
	band := func(x0, y0, x1, y1 int) image.Rectangle {
		if x1 <= x0 || y1 <= y0 {
			return image.Rectangle{} // image.Rect would swap the corners
		}
		return image.Rectangle{Min: image.Pt(x0, y0), Max: image.Pt(x1, y1)}
	}
	cands := []image.Rectangle{
		band(a.Min.X, a.Min.Y, min(a.Max.X, b.Min.X), a.Max.Y),
		band(max(a.Min.X, b.Max.X), a.Min.Y, a.Max.X, a.Max.Y),
		band(a.Min.X, a.Min.Y, a.Max.X, min(a.Max.Y, b.Min.Y)),
		band(a.Min.X, max(a.Min.Y, b.Max.Y), a.Max.X, a.Max.Y),
	}
	best := image.Rectangle{}
	for _, c := range cands {
		c = c.Intersect(image.Rect(0, 0, w, h))
		if c.Dx()*c.Dy() > best.Dx()*best.Dy() {
			best = c
		}
	}
	return best
}

// maskArea is the pixel area a mask rectangle must cover in the current frame: the rectangle itself
// on a fixed camera; on a PTZ camera, whose zones are fixed in the scene, the rectangle seen through
// the current view (geometry from GET /api/v1/ptz).
func (s *suite) maskArea(ctx SpecContext, cred Cred, rect [4]float64, w, h int) image.Rectangle {
	GinkgoHelper()
	if s.env.Model != "move" {
		return pixelRect(rect, w, h)
	}
	var state struct {
		Pan, Tilt, Zoom float64
		Scene, Frame    struct{ Width, Height int }
	}
	Expect(s.expectStatus(ctx, 200, cred, "GET", "/api/v1/ptz", nil).JSON(&state)).To(Succeed())
	geo := ptzGeometry{sceneW: state.Scene.Width, sceneH: state.Scene.Height, frameW: state.Frame.Width, frameH: state.Frame.Height}
	fr, ok := geo.sceneToFrame(rect, map[string]float64{"pan": state.Pan, "tilt": state.Tilt, "zoom": state.Zoom})
	Expect(ok).To(BeTrue(), "the zone is in view")
	return pixelRect(fr, w, h)
}

// refusePixelation checks that the move model refuses a pixelation zone, naming the field.
func (s *suite) refusePixelation(ctx SpecContext, cred Cred, rect [4]float64, tile int) {
	GinkgoHelper()
	resp := s.expectStatus(ctx, 400, cred, "PATCH", "/api/v1/settings", map[string]any{"masks": []map[string]any{{"id": "desk", "rect": rect, "style": "pixelate", "tile": tile}}})
	Expect(resp.Map()).To(HaveKeyWithValue("key", "masks[0].style"))
	evidence("pixelation on the move model", "refused: "+resp.ErrorCode())
}

// setMasks replaces the camera's masks.
func (s *suite) setMasks(ctx SpecContext, cred Cred, masks []map[string]any) {
	GinkgoHelper()
	s.expectStatus(ctx, 200, cred, "PATCH", "/api/v1/settings", map[string]any{"masks": masks})
}

// snapshot fetches and decodes the live image.
func (s *suite) snapshot(ctx SpecContext, cred Cred) *image.YCbCr {
	GinkgoHelper()
	resp := s.expectStatus(ctx, 200, cred, "GET", "/api/v1/live.jpg", nil)
	img, err := decodeYCbCr(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return img
}

// truth returns a function that reads the target's ground truth, or marks the spec not applicable.
func (s *suite) truth() func() *image.YCbCr {
	GinkgoHelper()
	g, ok := s.env.Target.(target.Grounded)
	if !ok {
		Skip("not applicable: the target has no ground truth (the image before masking) to compare with")
	}
	return func() *image.YCbCr {
		GinkgoHelper()
		t, err := g.Truth()
		Expect(err).NotTo(HaveOccurred())
		return t.Image
	}
}

func round1(v float64) float64 { return float64(int(v*10+0.5)) / 10 }
func round3(v float64) float64 { return float64(int(v*1000+0.5)) / 1000 }
