package notify

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net"
	"strconv"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"vsslab/sim/peers"
)

// subscribe connects a reader to the broker and returns what it receives under cam/#.
func subscribe(t *testing.T, b *peers.Mosquitto, user, pass string) <-chan mqtt.Message {
	t.Helper()
	got := make(chan mqtt.Message, 4)
	opts := mqtt.NewClientOptions().AddBroker(b.BrokerURL).SetClientID("reader").SetUsername(user).SetPassword(pass)
	if b.Cert != nil {
		opts.SetTLSConfig(b.Cert.ClientTLS())
	}
	sub := mqtt.NewClient(opts)
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	t.Cleanup(func() { sub.Disconnect(100) })
	if tok := sub.Subscribe("cam/#", 1, func(_ mqtt.Client, m mqtt.Message) { got <- m }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return got
}

func TestMQTTPublishesToMosquittoOverTLS(t *testing.T) {
	b, err := peers.StartMosquitto(peers.MosquittoOptions{Username: "cam", Password: "mq-pass", TLS: true})
	skipUnavailable(t, err)
	t.Cleanup(func() { b.Close() })
	host, p, _ := net.SplitHostPort(b.Addr)
	port, _ := strconv.Atoi(p)
	got := subscribe(t, b, "cam", "mq-pass")

	// The broker's only listener is TLS, so a message arriving proves the channel encrypted it.
	ch, err := NewMQTT(MQTTConfig{Host: host, Port: port, Topic: "cam/7/alarm", Username: "cam", Password: "mq-pass",
		TrustConfig: TrustConfig{CAPEM: string(b.Cert.PEM)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), storageMessage()); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		var p Payload
		if err := json.Unmarshal(m.Payload(), &p); err != nil {
			t.Fatal(err)
		}
		if m.Topic() != "cam/7/alarm" || p.Camera != "cam-7 SN0042" || p.Kind != KindStorageFailure ||
			p.Detail != "card removed" || !p.Time.Equal(storageMessage().Time) || p.Image != nil {
			t.Fatalf("broker delivered %s: %+v", m.Topic(), p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the broker delivered nothing")
	}

	bad, _ := NewMQTT(MQTTConfig{Host: host, Port: port, Topic: "cam/7/alarm", Username: "cam", Password: "nope",
		TrustConfig: TrustConfig{CAPEM: string(b.Cert.PEM)}})
	if err := bad.Send(context.Background(), storageMessage()); err == nil {
		t.Fatal("broker accepted a wrong password")
	}
	other, err := peers.NewServerCert()
	if err != nil {
		t.Fatal(err)
	}
	untrusted, _ := NewMQTT(MQTTConfig{Host: host, Port: port, Topic: "cam/7/alarm", Username: "cam", Password: "mq-pass",
		TrustConfig: TrustConfig{PinSHA256: hex.EncodeToString(other.SHA256[:])}})
	if err := untrusted.Send(context.Background(), storageMessage()); err == nil {
		t.Fatal("published to a broker whose certificate is not the pinned one")
	}
}

func TestMQTTPlainOnlyWhenAskedAndWithoutPassword(t *testing.T) {
	b, err := peers.StartMosquitto(peers.MosquittoOptions{})
	skipUnavailable(t, err)
	t.Cleanup(func() { b.Close() })
	host, p, _ := net.SplitHostPort(b.Addr)
	port, _ := strconv.Atoi(p)
	got := subscribe(t, b, "", "")

	def, _ := NewMQTT(MQTTConfig{Host: host, Port: port, Topic: "cam/7/alarm"})
	if err := def.Send(context.Background(), storageMessage()); err == nil {
		t.Fatal("the default channel talked to a broker without TLS")
	}
	plain, err := NewMQTT(MQTTConfig{Host: host, Port: port, Topic: "cam/7/alarm", TLS: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Send(context.Background(), storageMessage()); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.Topic() != "cam/7/alarm" {
			t.Fatalf("topic %s", m.Topic())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the broker delivered nothing")
	}
}

func TestNewMQTTValidates(t *testing.T) {
	for name, c := range map[string]MQTTConfig{
		"no host":           {Port: 1, Topic: "a"},
		"bad port":          {Host: "h", Port: 70000, Topic: "a"},
		"wildcard":          {Host: "h", Port: 1, Topic: "a/#"},
		"no topic":          {Host: "h", Port: 1},
		"unknown tls":       {Host: "h", Port: 1, Topic: "a", TLS: "starttls"},
		"password in clear": {Host: "h", Port: 1, Topic: "a", Password: "p", TLS: "none"},
		"bad pin":           {Host: "h", Port: 1, Topic: "a", TrustConfig: TrustConfig{PinSHA256: "zz"}},
	} {
		if _, err := NewMQTT(c); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
