package devnet

import (
	"strings"
	"testing"
)

func TestSummaryNamesTheDashboard(t *testing.T) {
	eps := Endpoints{ChainID: 1337, Datadir: "/tmp/d", Nodes: []Endpoint{{Name: "validator-0", Role: RoleValidator, RPC: "http://127.0.0.1:8545"}}}
	var with, without strings.Builder
	if err := WriteSummary(&with, SummaryInfo{Endpoints: eps, DevnetCmd: "devnet", Dashboard: "http://127.0.0.1:8080/"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(with.String(), "\nDashboard: http://127.0.0.1:8080/ ") {
		t.Errorf("the summary does not name the dashboard:\n%s", with.String())
	}
	if err := WriteSummary(&without, SummaryInfo{Endpoints: eps, DevnetCmd: "devnet"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(without.String(), "Dashboard") {
		t.Errorf("the summary names a dashboard that is not served:\n%s", without.String())
	}
}
