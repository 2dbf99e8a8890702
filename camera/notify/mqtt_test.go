package notify

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"vsslab/sim/peers"
)

func TestMQTTPublishesToMosquitto(t *testing.T) {
	b, err := peers.StartMosquitto(peers.MosquittoOptions{Username: "cam", Password: "mq-pass"})
	skipUnavailable(t, err)
	t.Cleanup(func() { b.Close() })
	host, p, _ := net.SplitHostPort(b.Addr)
	port, _ := strconv.Atoi(p)

	got := make(chan mqtt.Message, 4)
	sub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.BrokerURL).SetClientID("reader").
		SetUsername("cam").SetPassword("mq-pass"))
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	if tok := sub.Subscribe("cam/#", 1, func(_ mqtt.Client, m mqtt.Message) { got <- m }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}

	ch, err := NewMQTT(MQTTConfig{Host: host, Port: port, Topic: "cam/7/alarm", Username: "cam", Password: "mq-pass"})
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

	bad, _ := NewMQTT(MQTTConfig{Host: host, Port: port, Topic: "cam/7/alarm", Username: "cam", Password: "nope"})
	if err := bad.Send(context.Background(), storageMessage()); err == nil {
		t.Fatal("broker accepted a wrong password")
	}
}

func TestNewMQTTValidates(t *testing.T) {
	for name, c := range map[string]MQTTConfig{
		"no host":  {Port: 1, Topic: "a"},
		"bad port": {Host: "h", Port: 70000, Topic: "a"},
		"wildcard": {Host: "h", Port: 1, Topic: "a/#"},
		"no topic": {Host: "h", Port: 1},
	} {
		if _, err := NewMQTT(c); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
