package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/rpc"
)

// TestSendRawCallIsAJSONRPCCall: a presigned call joined with an id is a
// well-formed eth_sendRawTransaction request carrying the transaction's
// bytes in hex.
func TestSendRawCallIsAJSONRPCCall(t *testing.T) {
	call := `{"jsonrpc":"2.0","id":7` + string(sendRawCall([]byte{0x02, 0xab, 0xff})) + `}`
	call = strings.TrimSuffix(call, "}")
	var msg struct {
		ID     int      `json:"id"`
		Method string   `json:"method"`
		Params []string `json:"params"`
	}
	if err := json.Unmarshal([]byte(call), &msg); err != nil {
		t.Fatalf("%s: %v", call, err)
	}
	if msg.ID != 7 || msg.Method != "eth_sendRawTransaction" || len(msg.Params) != 1 || msg.Params[0] != "0x02abff" {
		t.Fatalf("decoded %+v from %s", msg, call)
	}
}

// TestParseBatchAnswers: errors land on their calls by id, whatever the
// answers' order; a missing answer is an error; a batch refused whole is
// one error.
func TestParseBatchAnswers(t *testing.T) {
	errs, err := parseBatchAnswers([]byte(`[{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"txpool is full"}},`+
		`{"jsonrpc":"2.0","id":0,"result":"0x01"}]`), 3)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[1] == nil || errs[2] == nil || errs[2].Error() != "txpool is full" {
		t.Fatalf("per-call errors %v", errs)
	}
	if _, err := parseBatchAnswers([]byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}}`), 2); err == nil ||
		!strings.Contains(err.Error(), "batch too large") {
		t.Fatalf("whole-batch error: %v", err)
	}
}

// benchBatch is a batch of 100 presigned transfers and a server answering
// every call with a hash, as a node does.
func benchBatch(b *testing.B) ([]signedTx, *httptest.Server) {
	b.Helper()
	accounts, err := DeriveAccounts("bench", 100)
	if err != nil {
		b.Fatal(err)
	}
	load, err := Presign(big.NewInt(1337), accounts, 100, DefaultFees(), 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	var batch []signedTx
	for _, l := range load.perAccount {
		batch = append(batch, l...)
	}
	srv := httptest.NewServer(answerWithHashes(nil))
	b.Cleanup(srv.Close)
	return batch, srv
}

// answerWithHashes is a node's JSON-RPC endpoint for batches of
// eth_sendRawTransaction: every call is answered with a hash. before, if
// set, runs first for each request (a test delays an answer with it).
func answerWithHashes(before func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var calls []struct {
			ID json.RawMessage `json:"id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&calls); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if before != nil {
			before()
		}
		var out bytes.Buffer
		out.WriteByte('[')
		for i, c := range calls {
			if i > 0 {
				out.WriteByte(',')
			}
			fmt.Fprintf(&out, `{"jsonrpc":"2.0","id":%s,"result":"0x%064x"}`, c.ID, i)
		}
		out.WriteByte(']')
		w.Header().Set("Content-Type", "application/json")
		w.Write(out.Bytes())
	})
}

// BenchmarkSendBatch compares the load generator's cost of sending one
// batch of 100 transfers: presigned calls over plain HTTP (raw) against
// go-ethereum's RPC client (geth). The server's cost is included in both.
func BenchmarkSendBatch(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		batch, srv := benchBatch(b)
		s := newRawSender(srv.URL)
		for b.Loop() {
			if _, err := s.send(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("geth", func(b *testing.B) {
		batch, srv := benchBatch(b)
		c, err := rpc.Dial(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		for b.Loop() {
			if _, err := sendBatch(context.Background(), nil, c, batch); err != nil {
				b.Fatal(err)
			}
		}
	})
}
