package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// MQTTConfig is a network-message channel: an MQTT publish (QoS 1) of the same JSON body as HTTP,
// over TLS unless told otherwise.
type MQTTConfig struct {
	// Dial opens the connection to the broker; nil uses a net.Dialer.
	Dial         DialFunc `json:"-"`
	Host         string   `json:"host"`
	Port         int      `json:"port"`
	Topic        string   `json:"topic"`
	Username     string   `json:"username,omitempty"`
	Password     string   `json:"password,omitempty"`
	IncludeImage bool     `json:"include_image,omitempty"`
	// TLS is "tls" (the default: MQTT over TLS, as on port 8883) or "none" for a broker on a trusted
	// network; "none" never sends a password.
	TLS string `json:"tls,omitempty"`
	TrustConfig
}

// MQTT publishes each message with QoS 1, so Send returns only once the broker has the message.
type MQTT struct {
	cfg MQTTConfig
}

// NewMQTT checks cfg and returns the channel.
func NewMQTT(cfg MQTTConfig) (*MQTT, error) {
	if cfg.Host == "" {
		return nil, errors.New("mqtt: host is required")
	}
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("mqtt: port %d out of range", cfg.Port)
	}
	if err := validTopic(cfg.Topic); err != nil {
		return nil, fmt.Errorf("mqtt: topic: %w", err)
	}
	mode, err := transport(cfg.TLS, cfg.Password, cfg.TrustConfig, cfg.Host, "tls")
	if err != nil {
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	cfg.TLS = mode
	return &MQTT{cfg: cfg}, nil
}

// validTopic accepts a publish topic: non-empty, no wildcards, no NUL.
func validTopic(t string) error {
	if t == "" {
		return errors.New("empty")
	}
	if strings.ContainsAny(t, "+#\x00") {
		return errors.New("wildcards and NUL are not allowed in a publish topic")
	}
	return nil
}

// Kind returns "mqtt".
func (q *MQTT) Kind() string { return "mqtt" }

// Send connects, publishes m with QoS 1 and disconnects. A connection per message keeps a camera
// with rare faults from holding a broker session open for months.
func (q *MQTT) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(NewPayload(m, q.cfg.IncludeImage))
	if err != nil {
		return fmt.Errorf("mqtt: encode: %w", err)
	}
	id := make([]byte, 6)
	if _, err := rand.Read(id); err != nil {
		return fmt.Errorf("mqtt: client id: %w", err)
	}
	dial := q.cfg.Dial.orDefault()
	scheme := "tcp://"
	var tlsCfg *tls.Config
	if q.cfg.TLS == "tls" {
		scheme = "ssl://"
		if tlsCfg, err = q.cfg.clientTLS(q.cfg.Host); err != nil {
			return fmt.Errorf("mqtt: %w", err)
		}
	}
	broker := scheme + net.JoinHostPort(q.cfg.Host, strconv.Itoa(q.cfg.Port))
	opts := mqtt.NewClientOptions().
		AddBroker(broker).
		SetClientID("vsslab-" + hex.EncodeToString(id)).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetConnectTimeout(30 * time.Second).
		SetCustomOpenConnectionFn(func(u *url.URL, _ mqtt.ClientOptions) (net.Conn, error) {
			conn, err := dial(ctx, "tcp", u.Host)
			if err != nil || tlsCfg == nil {
				return conn, err
			}
			tc := tls.Client(conn, tlsCfg)
			hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := tc.HandshakeContext(hctx); err != nil {
				conn.Close()
				return nil, fmt.Errorf("tls: %w", err)
			}
			return tc, nil
		})
	if q.cfg.Username != "" {
		opts.SetUsername(q.cfg.Username).SetPassword(q.cfg.Password)
	}
	c := mqtt.NewClient(opts)
	if err := waitToken(ctx, c.Connect()); err != nil {
		return fmt.Errorf("mqtt: connect %s: %w", broker, err)
	}
	defer c.Disconnect(250)
	if err := waitToken(ctx, c.Publish(q.cfg.Topic, 1, false, body)); err != nil {
		return fmt.Errorf("mqtt: publish to %s: %w", q.cfg.Topic, err)
	}
	return nil
}

func waitToken(ctx context.Context, t mqtt.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}
