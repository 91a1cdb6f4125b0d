package topologies

import (
	"fmt"
	"testing"
)

func TestRegressionZeroDelayCoAP(t *testing.T) {
	for _, d := range []string{"0s", "1ms"} {
		for _, typ := range []string{"con", "non"} {
			text := fmt.Sprintf(`
name = "zc"
duration = "200s"
drain = "100s"
[links.l]
delay = { dist = "constant", value = %q }
[coap_servers.api]
link = "l"
notify = "con"
[devices.sensor]
count = 2
link = "l"
attach = "api"
protocol = "coap"
workload = { kind = "periodic", interval = "10s", payload = 32 }
coap = { type = %q, path = "/alerts", method = "POST" }
[devices.obs]
count = 1
link = "l"
attach = "api"
protocol = "coap"
start = "1s"
coap = { observe = ["/alerts"] }
`, d, typ)
			c, w := runText(t, text, false)
			n, ok, tx := 0, 0, 0
			notif, notifOK := 0, 0
			for _, m := range c.msgs {
				if m.Group == "obs" {
					notif++
					if m.Delivered {
						notifOK++
					}
					continue
				}
				n++
				tx += int(m.Transmissions)
				if m.Delivered {
					ok++
				}
			}
			if n == 0 || ok != n || tx != n || notif == 0 || notifOK != notif || w.CoAP.Responses != int64(n) {
				t.Errorf("delay %s %s: requests %d/%d delivered, tx %d; notifications %d/%d; stats %+v", d, typ, ok, n, tx, notifOK, notif, w.CoAP)
			}
		}
	}
}
