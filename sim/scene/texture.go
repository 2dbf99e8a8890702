package scene

import (
	"fmt"
	"image"
)

// hash is the one source of randomness for pictures: a 64-bit hash of a lattice point and a seed
// (splitmix64's finaliser over a linear mix). Integer only, so pictures depend on nothing but the seed,
// on every platform.
func hash(x, y int, seed uint64) uint64 {
	return mix64(seed + uint64(x)*0x9e3779b97f4a7c15 + uint64(y)*0xc2b2ae3d27d4eb4f)
}

func mix64(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}

// vnoise is value noise in 0..255 on a lattice of 2^shift pixels, interpolated bilinearly in integers:
// the larger, smooth structure (plaster, clouds, marble) under the per-pixel grain. x and y are >= 0.
func vnoise(x, y int, shift uint, seed uint64) int {
	c := 1 << shift
	ix, iy := x>>shift, y>>shift
	fx, fy := x&(c-1), y&(c-1)
	v00 := int(hash(ix, iy, seed) & 255)
	v10 := int(hash(ix+1, iy, seed) & 255)
	v01 := int(hash(ix, iy+1, seed) & 255)
	v11 := int(hash(ix+1, iy+1, seed) & 255)
	return (v00*(c-fx)*(c-fy) + v10*fx*(c-fy) + v01*(c-fx)*fy + v11*fx*fy) >> (2 * shift)
}

func clampY(v int) uint8 { return uint8(min(max(v, 16), 235)) }
func clampC(v int) uint8 { return uint8(min(max(v, 16), 240)) }

// painter gives a background pixel's Y', Cb and Cr before clamping.
type painter func(x, y int) (int, int, int)

// background renders a texture at scene size, once per scene; frames then only sample it. Chroma is
// the mean of each 2×2 block of the painter's values.
func background(kind string, w, h int, seed uint64) (*image.YCbCr, error) {
	var paint painter
	switch kind {
	case TextureOffice:
		paint = office(w, h, seed)
	case TextureCorridor:
		paint = corridor(w, h, seed)
	case TextureNoise:
		paint = noise(seed)
	default:
		return nil, fmt.Errorf("texture %q: unknown", kind)
	}
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	cb, cr := make([]int, w/2), make([]int, w/2)
	for y := range h {
		if y%2 == 0 {
			clear(cb)
			clear(cr)
		}
		row := img.Y[y*img.YStride : y*img.YStride+w]
		for x := range row {
			yv, u, v := paint(x, y)
			row[x] = clampY(yv)
			cb[x/2] += u
			cr[x/2] += v
		}
		if y%2 == 1 {
			off := (y / 2) * img.CStride
			for i := range cb {
				img.Cb[off+i] = clampC((cb[i] + 2) >> 2)
				img.Cr[off+i] = clampC((cr[i] + 2) >> 2)
			}
		}
	}
	return img, nil
}

// grain is the per-pixel detail every texture carries: ±32 in Y', ±8 in Cb and Cr.
func grain(x, y int, seed uint64) (int, int, int) {
	g := hash(x, y, seed)
	return int(g&63) - 32, int(g>>8&15) - 8, int(g>>12&15) - 8
}

// tint is a small seed-dependent hue shift, so that two worlds' offices differ in colour as well.
func tint(seed uint64, salt int, spread int) int {
	return int(hash(salt, 0, seed)%uint64(2*spread+1)) - spread
}

// office is a wall of panels (some with doors, windows or posters) over a tiled floor.
func office(w, h int, seed uint64) painter {
	horizon := h * 58 / 100
	panel := max(h/6, 8)
	skirting := max(h/48, 2)
	tile := max(h/9, 8)
	doorTop := horizon - h*40/100
	winTop, winBot := h*10/100, h*34/100
	postTop, postBot := h*14/100, h*38/100
	band := max(h/60, 2)
	wallCb, wallCr := 118+tint(seed, 1, 10), 136+tint(seed, 2, 10)
	floorCb, floorCr := 128+tint(seed, 3, 30), 128+tint(seed, 4, 30)
	return func(x, y int) (int, int, int) {
		gy, gb, gr := grain(x, y, seed)
		if y >= horizon {
			fy := y - horizon
			if x%tile < 2 || fy%tile < 2 {
				return 55 + gy/2, 128 + gb, 128 + gr
			}
			tx, ty := x/tile, fy/tile
			th := hash(tx, ty, seed^0xf1002)
			base := 105
			if (tx+ty)%2 == 0 {
				base = 150
			}
			marble := vnoise(x, y, 3, seed^0x3a7b1e) - 128
			return base + int(th&15) - 8 + marble/6 + gy, floorCb + int(th>>4&15) - 8 + gb, floorCr + int(th>>8&15) - 8 + gr
		}
		if y >= horizon-skirting {
			return 70 + gy/2, 125 + gb, 130 + gr
		}
		pi, px := x/panel, x%panel
		kind := hash(pi, 7, seed) % 6
		ph := hash(pi, 8, seed)
		switch {
		case kind == 0 && px >= panel/6 && px < panel*5/6 && y >= doorTop:
			dx0, dx1 := panel/6, panel*5/6
			edge := min(px-dx0, dx1-1-px, y-doorTop)
			var c [3]int
			if ph%2 == 0 {
				c = [3]int{95, 108, 150} // wood
			} else {
				c = [3]int{80 + int(ph>>8%60), 68 + int(ph>>16%120), 68 + int(ph>>24%120)}
			}
			hx := dx1 - max(panel/10, 3)
			hy := doorTop + (horizon-doorTop)*55/100
			if px >= hx && px < hx+max(panel/20, 2) && y >= hy && y < hy+max(h/60, 2) {
				return 210 + gy/4, 128, 128 // handle
			}
			wood := vnoise(x, y/8, 2, seed^0xd00a) - 128
			if edge < 4 {
				c[0] -= 40
			}
			return c[0] + wood/5 + gy, c[1] + gb, c[2] + gr
		case (kind == 1 || kind == 2) && px >= panel/8 && px < panel*7/8 && y >= winTop && y < winBot:
			wx0, wx1 := panel/8, panel*7/8
			edge := min(px-wx0, wx1-1-px, y-winTop, winBot-1-y)
			midX, midY := (wx0+wx1)/2, (winTop+winBot)/2
			if edge < 3 {
				return 220 + gy/4, 128, 128
			}
			if px >= midX-1 && px <= midX+1 || y >= midY-1 && y <= midY+1 {
				return 60 + gy/2, 128, 128
			}
			cloud := vnoise(x, y, 5, seed^0xc10d) - 128
			return 165 + cloud/3 + gy/2, 165 - cloud/6 + gb, 105 + gr
		case kind == 3 && px >= panel/5 && px < panel*4/5 && y >= postTop && y < postBot:
			bh := hash(pi, (y-postTop)/band, seed^0x9057)
			if (hash(x/2, y/2, seed^0x7e47)>>5)%4 == 0 {
				return 40 + gy/4, 128, 128 // "print": dark dots
			}
			return 90 + int(bh%120) + gy/2, 40 + int(bh>>8%176), 40 + int(bh>>16%176)
		}
		plaster := vnoise(x, y, 4, seed^0x91a5) - 128
		yv := 175 + plaster/8 + gy
		if px < 3 {
			yv -= 45 // panel seam
		}
		return yv, wallCb + gb, wallCr + gr
	}
}

// corridor is a corridor wall seen from the side: ceiling with lights, a wall with coloured numbered
// doors and a handrail, and a plank floor, so that people walk along it left and right.
func corridor(w, h int, seed uint64) painter {
	ceil, floorTop := h*14/100, h*70/100
	lightSpacing := max(h*8/10, 16)
	lightW := lightSpacing / 3
	doorSpacing := max(h*9/10, 16)
	doorW := max(h*3/10, 6)
	doorTop := floorTop - h*44/100
	plateTop, plateBot := doorTop-h*6/100, doorTop-h*2/100
	railTop := h * 48 / 100
	railBot := railTop + max(h/80, 2)
	plankH := max(h/28, 3)
	plankLen := max(h*6/10, 16)
	doors := [5][3]int{{90, 110, 185}, {80, 180, 110}, {120, 95, 90}, {190, 50, 145}, {100, 105, 150}}
	wallCb, wallCr := 132+tint(seed, 5, 10), 122+tint(seed, 6, 10)
	return func(x, y int) (int, int, int) {
		gy, gb, gr := grain(x, y, seed)
		switch {
		case y < ceil:
			if y >= ceil-3 {
				return 90 + gy/2, 128, 128
			}
			if x%lightSpacing < lightW && y >= ceil/3 && y < ceil*2/3 {
				return 220 + gy/3, 126 + gb/4, 130 + gr/4
			}
			return 200 - vnoise(x, y, 4, seed^0xce11)/10 + gy/2, 128 + gb, 128 + gr
		case y >= floorTop:
			fy := y - floorTop
			r := fy / plankH
			off := int(hash(r, 3, seed) % uint64(plankLen))
			if fy%plankH == 0 || (x+off)%plankLen < 2 {
				return 50 + gy/2, 120 + gb, 135 + gr
			}
			ph := hash(r, (x+off)/plankLen, seed^0x91a4)
			woodGrain := vnoise(x, y*6, 4, seed^0x6a1) - 128
			return 115 + int(ph&31) - 16 + woodGrain/5 + gy, 108 + int(ph>>5&15) - 8 + gb, 148 + int(ph>>9&15) - 8 + gr
		}
		di, dx := x/doorSpacing, x%doorSpacing
		d0 := doorSpacing / 3
		inDoor := dx >= d0 && dx < d0+doorW
		if inDoor && y >= doorTop {
			c := doors[hash(di, 11, seed)%5]
			edge := min(dx-d0, d0+doorW-1-dx, y-doorTop)
			switch {
			case edge < 5:
				c[0] -= 45
			case y < doorTop+(floorTop-doorTop)/4 && dx >= d0+doorW/4 && dx < d0+doorW*3/4:
				c = [3]int{170, 150, 115} // glass pane
			}
			return c[0] + gy, c[1] + gb, c[2] + gr
		}
		if inDoor && dx >= d0+doorW/4 && dx < d0+doorW*3/4 && y >= plateTop && y < plateBot {
			if hash(x/2, y/2, seed^uint64(di))%3 == 0 {
				return 30 + gy/3, 128, 128 // the number's strokes
			}
			return 220 + gy/3, 128, 128
		}
		if y >= railTop && y < railBot {
			return 80 + gy/2, 110 + gb, 150 + gr
		}
		paint := vnoise(x, y, 5, seed^0x9a1) - 128
		return 160 + paint/8 + gy, wallCb + gb, wallCr + gr
	}
}

// noise is coloured noise at several scales and nothing else.
func noise(seed uint64) painter {
	return func(x, y int) (int, int, int) {
		gy, gb, gr := grain(x, y, seed)
		yv := 40 + vnoise(x, y, 6, seed^0x1)*90/255 + vnoise(x, y, 3, seed^0x2)*60/255 + gy
		cb := 128 + (vnoise(x, y, 7, seed^0x3)-128)*7/8 + gb
		cr := 128 + (vnoise(x, y, 7, seed^0x4)-128)*7/8 + gr
		return yv, cb, cr
	}
}
