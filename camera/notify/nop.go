package notify

import (
	"context"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
)

// nopClock, nopSpeaker and nopPin stand in for the camera's parts when Validate builds a channel
// only to check its settings; nothing is ever sent through them.
type nopClock struct{}

func (nopClock) Now() time.Time                       { return time.Time{} }
func (nopClock) After(time.Duration) <-chan time.Time { return nil }
func (nopClock) Until(time.Time) <-chan time.Time     { return nil }

type nopSpeaker struct{}

func (nopSpeaker) Play(context.Context, []byte) error { return nil }

type nopPin struct{}

func (nopPin) String() string                        { return "nop" }
func (nopPin) Halt() error                           { return nil }
func (nopPin) Name() string                          { return "nop" }
func (nopPin) Number() int                           { return -1 }
func (nopPin) Function() string                      { return "" }
func (nopPin) Out(gpio.Level) error                  { return nil }
func (nopPin) PWM(gpio.Duty, physic.Frequency) error { return nil }
