package mqtt

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// goldenPackets are the Go values of the packets in testdata/golden.txt.
var goldenPackets = map[string]Packet{
	"connect_will_user_pass": {Type: Connect, Connect: &ConnectFields{
		ProtocolLevel: Version311, CleanSession: true, KeepAlive: 10, ClientID: "dev1",
		WillFlag: true, WillQoS: QoS1, WillRetain: true, WillTopic: "handong/status", WillMessage: []byte("gone"),
		UsernameFlag: true, Username: "user", PasswordFlag: true, Password: []byte("pass"),
	}},
	"connect_mosquitto_sub": {Type: Connect, Connect: &ConnectFields{
		ProtocolLevel: Version311, CleanSession: true, KeepAlive: 60, ClientID: "sub_s1_qos0",
	}},
	"connect_empty_client_id": {Type: Connect, Connect: &ConnectFields{
		ProtocolLevel: Version311, CleanSession: true, KeepAlive: 60,
	}},
	"connect_username_only": {Type: Connect, Connect: &ConnectFields{
		ProtocolLevel: Version311, ClientID: "c", UsernameFlag: true, Username: "bob",
	}},
	"connack_accepted":                 {Type: Connack},
	"connack_session_present":          {Type: Connack, SessionPresent: true},
	"connack_refused_protocol_version": {Type: Connack, ReturnCode: RefusedProtocolVersion},
	"connack_identifier_rejected":      {Type: Connack, ReturnCode: RefusedIdentifierRejected},
	"publish_qos0":                     {Type: Publish, Topic: "a/b", Payload: []byte("msg1")},
	"publish_qos0_retain_empty":        {Type: Publish, Retain: true, Topic: "a/b"},
	"publish_qos1":                     {Type: Publish, QoS: QoS1, PacketID: 1, Topic: "a/b", Payload: []byte("msg1")},
	"publish_qos1_dup":                 {Type: Publish, Dup: true, QoS: QoS1, PacketID: 7, Topic: "a/b", Payload: []byte("msg1")},
	"publish_qos2_dup_retain": {Type: Publish, Dup: true, QoS: QoS2, Retain: true, PacketID: 0x1234,
		Topic: "a/b", Payload: []byte("msg2")},
	"publish_qos1_utf8": {Type: Publish, QoS: QoS1, PacketID: 65534, Topic: "$SYS/é", Payload: []byte{0, 1}},
	"puback":            {Type: Puback, PacketID: 1},
	"pubrec":            {Type: Pubrec, PacketID: 0x1234},
	"pubrel":            {Type: Pubrel, PacketID: 0x1234},
	"pubcomp":           {Type: Pubcomp, PacketID: 0x1234},
	"subscribe": {Type: Subscribe, PacketID: 1, Subscriptions: []Subscription{
		{Filter: "a/b", QoS: QoS1}, {Filter: "handong/#", QoS: QoS0},
	}},
	"suback":      {Type: Suback, PacketID: 1, ReturnCodes: []byte{0, 1, 2, SubackFailure}},
	"unsubscribe": {Type: Unsubscribe, PacketID: 2, Filters: []string{"a/b", "handong/+/b"}},
	"unsuback":    {Type: Unsuback, PacketID: 2},
	"pingreq":     {Type: Pingreq},
	"pingresp":    {Type: Pingresp},
	"disconnect":  {Type: Disconnect},
}

type goldenCase struct {
	name string
	wire []byte
}

// readGolden reads testdata/golden.txt in file order.
func readGolden(tb testing.TB) []goldenCase {
	tb.Helper()
	f, err := os.Open("testdata/golden.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var cases []goldenCase
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		text = strings.TrimSpace(text)
		if name, ok := strings.CutPrefix(text, "=="); ok {
			cases = append(cases, goldenCase{name: strings.TrimSpace(name)})
			continue
		}
		if text == "" {
			continue
		}
		if len(cases) == 0 {
			tb.Fatalf("golden.txt:%d: bytes before the first == line", line)
		}
		b, err := hex.DecodeString(strings.ReplaceAll(text, " ", ""))
		if err != nil {
			tb.Fatalf("golden.txt:%d: %v", line, err)
		}
		c := &cases[len(cases)-1]
		c.wire = append(c.wire, b...)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return cases
}

func TestGolden(t *testing.T) {
	cases := readGolden(t)
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, ok := goldenPackets[c.name]
			if !ok {
				t.Fatalf("no Go value for golden packet %q", c.name)
			}
			seen[c.name] = true
			if err := Validate(&want); err != nil {
				t.Errorf("Validate = %v; want nil", err)
			}
			if got := Append(nil, &want); !bytes.Equal(got, c.wire) {
				t.Errorf("Append =\n%x; want\n%x", got, c.wire)
			}
			if got := Size(&want); got != len(c.wire) {
				t.Errorf("Size = %d; want %d", got, len(c.wire))
			}
			got, n, err := Parse(c.wire)
			if err != nil || n != len(c.wire) {
				t.Fatalf("Parse = _, %d, %v; want %d, nil", n, err, len(c.wire))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse = %+v; want %+v", got, want)
			}
		})
	}
	for name := range goldenPackets {
		if !seen[name] {
			t.Errorf("golden packet %q is not in testdata/golden.txt", name)
		}
	}
	// Every packet type has at least one golden encoding.
	for typ := Connect; typ <= Disconnect; typ++ {
		if !slices.ContainsFunc(cases, func(c goldenCase) bool { return Type(c.wire[0]>>4) == typ }) {
			t.Errorf("no golden encoding of %v", typ)
		}
	}
}
