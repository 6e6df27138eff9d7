package loadgen

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// The load generator shares the machine's cores with what it measures, so
// it sends as cheaply as it can (issue 17): each transfer's JSON-RPC call
// is encoded when the load is presigned, a batch is those calls joined
// with their ids, posted over plain HTTP, and only the ids and errors of
// the answer are decoded. go-ethereum's RPC client, which encodes every
// call by reflection at send time, cost about as much CPU per transfer as
// a validator's state transition.

// sendRawCall returns the part of an eth_sendRawTransaction call after its
// id: `,"method":"eth_sendRawTransaction","params":["0x…"]}`.
func sendRawCall(raw []byte) []byte {
	const head, tail = `,"method":"eth_sendRawTransaction","params":["0x`, `"]}`
	out := make([]byte, 0, len(head)+2*len(raw)+len(tail))
	out = append(out, head...)
	out = hex.AppendEncode(out, raw)
	return append(out, tail...)
}

// rawSender posts batches of presigned calls to one HTTP JSON-RPC
// endpoint. It is not safe for concurrent use.
type rawSender struct {
	url    string
	client *http.Client
	body   bytes.Buffer
}

// newRawSender returns a sender for an http(s) URL, or nil for any other
// (a WebSocket endpoint is served by go-ethereum's client instead).
func newRawSender(url string) *rawSender {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil
	}
	return &rawSender{url: url, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}}
}

// batchAnswer is what is read of each answer of a batch.
type batchAnswer struct {
	ID    uint64 `json:"id"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// send posts one batch and returns one error (or nil) per transaction, or
// an error for the whole batch.
func (s *rawSender) send(ctx context.Context, batch []signedTx) ([]error, error) {
	s.body.Reset()
	s.body.WriteByte('[')
	var id []byte
	for i, tx := range batch {
		if i > 0 {
			s.body.WriteByte(',')
		}
		s.body.WriteString(`{"jsonrpc":"2.0","id":`)
		id = strconv.AppendInt(id[:0], int64(i), 10)
		s.body.Write(id)
		s.body.Write(tx.call)
	}
	s.body.WriteByte(']')
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(s.body.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("send batch: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("send batch: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("send batch: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("send batch: HTTP %s: %s", resp.Status, bytes.TrimSpace(data))
	}
	return parseBatchAnswers(data, len(batch))
}

// parseBatchAnswers reads the per-call errors of a batch of n calls with
// ids 0…n-1; a call without an answer is an error.
func parseBatchAnswers(data []byte, n int) ([]error, error) {
	var answers []batchAnswer
	if err := json.Unmarshal(data, &answers); err != nil {
		var single batchAnswer
		if json.Unmarshal(data, &single) == nil && single.Error != nil {
			return nil, fmt.Errorf("send batch: %s", single.Error.Message)
		}
		return nil, fmt.Errorf("send batch: answer is not a batch: %w", err)
	}
	errs := make([]error, n)
	seen := make([]bool, n)
	for _, a := range answers {
		if a.ID >= uint64(n) {
			continue
		}
		seen[a.ID] = true
		if a.Error != nil {
			errs[a.ID] = errors.New(a.Error.Message)
		}
	}
	for i, ok := range seen {
		if !ok {
			errs[i] = errors.New("no answer to this call")
		}
	}
	return errs, nil
}
