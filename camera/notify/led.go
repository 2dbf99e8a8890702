package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// LEDConfig is an LED-flashing channel on a named GPIO line.
type LEDConfig struct {
	// Line names the board's GPIO line, e.g. "led".
	Line string `json:"line"`
	// Repeat is how many times the flash group is shown; 0 means 3.
	Repeat int `json:"repeat,omitempty"`
}

// The LED pattern: KindDigit(kind) flashes of ledOn/ledOff, a group repeated with ledGap between
// groups, so someone at the camera can count which fault it is.
const (
	ledOn  = 200 * time.Millisecond
	ledOff = 200 * time.Millisecond
	ledGap = time.Second
)

// LED flashes a pin. The pin is left low when Send returns, however it returns.
type LED struct {
	pin    gpio.PinOut
	clk    Clock
	repeat int
}

// NewLED checks its arguments and returns the channel.
func NewLED(pin gpio.PinOut, clk Clock, repeat int) (*LED, error) {
	if pin == nil {
		return nil, errors.New("led: a pin is required")
	}
	if clk == nil {
		return nil, errors.New("led: a clock is required")
	}
	if repeat < 0 || repeat > 100 {
		return nil, fmt.Errorf("led: repeat %d out of 0..100", repeat)
	}
	if repeat == 0 {
		repeat = 3
	}
	return &LED{pin: pin, clk: clk, repeat: repeat}, nil
}

// Kind returns "led".
func (l *LED) Kind() string { return "led" }

// Send flashes m's pattern and returns when it is done or ctx ends.
func (l *LED) Send(ctx context.Context, m Message) (err error) {
	defer func() {
		if offErr := l.pin.Out(gpio.Low); offErr != nil && err == nil {
			err = fmt.Errorf("led: %s off: %w", l.pin, offErr)
		}
	}()
	n := KindDigit(m.Kind)
	for r := 0; r < l.repeat; r++ {
		if r > 0 {
			if err := wait(ctx, l.clk, ledGap); err != nil {
				return err
			}
		}
		for i := 0; i < n; i++ {
			if err := l.pin.Out(gpio.High); err != nil {
				return fmt.Errorf("led: %s on: %w", l.pin, err)
			}
			if err := wait(ctx, l.clk, ledOn); err != nil {
				return err
			}
			if err := l.pin.Out(gpio.Low); err != nil {
				return fmt.Errorf("led: %s off: %w", l.pin, err)
			}
			if i < n-1 {
				if err := wait(ctx, l.clk, ledOff); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
