package dashboard_test

// The dashboard in a real browser: headless Chromium (Debian's chromium
// package; .ci/run installs it where it can) against a real devnet. The
// tests skip, saying so, when no browser is installed, and under -short.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/dashboard"
	"github.com/bilayer/bilayer/devnet/devnettest"
	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/wallet"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
)

var (
	screenshotFlag = flag.String("screenshot", "",
		"TestScreenshot: write a PNG of the dashboard under a running devnet to this file (e.g. ../../docs/dashboard.png)")
	datadirFlag = flag.String("devnet.datadir", "",
		"TestScreenshot: capture the page of the devnet running in this data directory (served by this test's own dashboard) instead of starting a devnet")
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(cluster.RunTests(m))
}

const (
	// startTimeout bounds "devnet up" until it prints its summary.
	startTimeout = 2 * time.Minute
	// stopTimeout bounds a clean stop after SIGINT.
	stopTimeout = 45 * time.Second
	// pageTimeout bounds each wait on what the page shows. The slowest is
	// the L2's finalized head, which moves once the first batch outlived
	// the challenge window (30 L1 blocks of one second).
	pageTimeout = 2 * time.Minute
)

// browserNames are the executables tried, in order: Debian's chromium
// package, and the name other distributions give it.
var browserNames = []string{"chromium", "chromium-browser"}

// findBrowser returns the headless browser's path, or skips the test.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skipf("no browser for the dashboard's browser test: none of %v is on PATH (install Debian's chromium package: apt-get install chromium; .ci/run does where it can)",
		browserNames)
	return ""
}

// openBrowser starts headless Chromium on loopback and returns its tab's
// context, and a function returning the URLs it requested outside
// 127.0.0.1 (the page must load nothing from elsewhere).
func openBrowser(t *testing.T, path string, width, height int) (context.Context, func() []string) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(width, height),
		// Resolve no name: the page has no reason to reach any host but
		// 127.0.0.1, and a test must not touch the network.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-component-update", true),
		// chromedp talks to the browser over a pipe: no debugging port.
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to sandbox as root
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	var mu sync.Mutex
	var foreign []string
	err := chromedp.Listen(ctx, func(ev any) { // starts the browser
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil {
			if u, err := url.Parse(e.Request.URL); err == nil && u.Hostname() != "127.0.0.1" && u.Scheme != "data" {
				mu.Lock()
				foreign = append(foreign, e.Request.URL)
				mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatalf("start the browser %s: %v", path, err)
	}
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), foreign...)
	}
}

// page is what the dashboard's DOM shows, read by pageJS.
type page struct {
	L1        string `json:"l1"`
	Unsafe    string `json:"unsafe"`
	Safe      string `json:"safe"`
	Finalized string `json:"finalized"`
	Ops       []struct {
		ID    string `json:"id"`
		Stage string `json:"stage"`
		Text  string `json:"text"`
	} `json:"ops"`
	Batches []struct {
		Index int    `json:"index"`
		State string `json:"state"`
		Left  int    `json:"left"`
		Fill  string `json:"fill"`
		Text  string `json:"text"`
	} `json:"batches"`
	Disputes int    `json:"disputes"`
	Error    string `json:"error"`
}

const pageJS = `(() => {
  const t = (id) => { const e = document.getElementById(id); return e ? e.textContent.trim() : ''; };
  return {
    l1: t('l1-height'), unsafe: t('l2-unsafe'), safe: t('l2-safe'), finalized: t('l2-finalized'),
    ops: [...document.querySelectorAll('#deposits tr[data-op]')].map((r) => ({ id: r.dataset.op, stage: r.dataset.stage, text: r.textContent })),
    batches: [...document.querySelectorAll('#timeline .batch')].map((b) => {
      const fill = b.querySelector('.window-fill');
      return { index: +b.dataset.batch, state: b.dataset.state, left: +b.dataset.left, fill: fill ? fill.style.width : '', text: b.textContent.trim() };
    }),
    disputes: document.querySelectorAll('#disputes .dispute').length,
    error: document.getElementById('error').hidden ? '' : t('error'),
  };
})()`

func readPage(ctx context.Context) (page, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := chromedp.Run(cctx, chromedp.Evaluate[page](pageJS))
	if err != nil {
		return p, fmt.Errorf("read the page: %w", err)
	}
	return p, nil
}

// number is a head the page shows ("–" until known: -1).
func number(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// waitPage polls the page until cond holds, failing the test after
// pageTimeout with what the page showed last.
func waitPage(t *testing.T, ctx context.Context, what string, cond func(page) error) page {
	t.Helper()
	var last page
	started := time.Now()
	seen := map[string]bool{}
	waitfor.Until(t, pageTimeout, func() error {
		p, err := readPage(ctx)
		if err != nil {
			return err
		}
		last = p
		if p.Error != "" && !seen[p.Error] {
			seen[p.Error] = true
			t.Logf("the page shows an error (it clears once the call succeeds again): %s", p.Error)
		}
		if err := cond(p); err != nil {
			return fmt.Errorf("%s: %w (page: L1 %s, L2 %s/%s/%s, %d deposits, %d batches, error %q)",
				what, err, p.L1, p.Unsafe, p.Safe, p.Finalized, len(p.Ops), len(p.Batches), p.Error)
		}
		return nil
	})
	t.Logf("the page shows %s after %s", what, time.Since(started).Round(100*time.Millisecond))
	return last
}

// TestDashboardInBrowser is the issue's acceptance test: a devnet ("devnet
// up", its summary naming the dashboard's URL), the page in headless
// Chromium, and from the page's DOM: the L1 height and the L2 heads
// advance, a deposit the test makes appears and reaches "credited", and a
// batch shows its challenge window; the page requests nothing outside
// 127.0.0.1.
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet and a browser; skipped with -short")
	}
	browser := findBrowser(t)
	started := time.Now()
	d := startDevnet(t)
	t.Logf("devnet up printed the dashboard's URL %s after %s", d.url, time.Since(started).Round(100*time.Millisecond))
	ctx, foreign := openBrowser(t, browser, 1400, 1000)
	if err := chromedp.Do(ctx, chromedp.Navigate(d.url)); err != nil {
		t.Fatalf("open %s: %v", d.url, err)
	}

	first := waitPage(t, ctx, "the L1 height and the L2 heads", func(p page) error {
		if number(p.L1) < 1 || number(p.Unsafe) < 1 || number(p.Safe) < 0 || number(p.Finalized) < 0 {
			return errors.New("no heads yet")
		}
		return nil
	})
	l1, unsafe, safe, fin := number(first.L1), number(first.Unsafe), number(first.Safe), number(first.Finalized)

	id := d.deposit(t, 5, big.NewInt(2e18))
	t.Logf("deposited 2 ETH from development account 5: operation %s", id)
	waitPage(t, ctx, "the deposit "+id+" credited", func(p page) error {
		for _, o := range p.Ops {
			if o.ID == id {
				if o.Stage == "credited" && strings.Contains(o.Text, "credited") {
					return nil
				}
				return fmt.Errorf("deposit %s is %q", id, o.Stage)
			}
		}
		return fmt.Errorf("deposit %s not listed", id)
	})
	waitPage(t, ctx, "a batch with its challenge window", func(p page) error {
		for _, b := range p.Batches {
			if b.State == "window" && b.Left > 0 && b.Fill != "" && strings.Contains(b.Text, "left") {
				return nil
			}
		}
		return fmt.Errorf("no batch in its window among %d", len(p.Batches))
	})
	last := waitPage(t, ctx, "the L1 height and every L2 head advanced", func(p page) error {
		if number(p.L1) <= l1 || number(p.Unsafe) <= unsafe || number(p.Safe) <= safe || number(p.Finalized) <= fin {
			return fmt.Errorf("from L1 %d, L2 %d/%d/%d", l1, unsafe, safe, fin)
		}
		return nil
	})
	t.Logf("L1 %d → %s; L2 unsafe %d → %s, safe %d → %s, finalized %d → %s", l1, last.L1, unsafe, last.Unsafe, safe, last.Safe, fin, last.Finalized)
	if f := foreign(); len(f) > 0 {
		t.Errorf("the page requested URLs outside 127.0.0.1: %v", f)
	}
	t.Logf("whole test: %s", time.Since(started).Round(100*time.Millisecond))
}

// TestScreenshot writes a PNG of the dashboard to -screenshot, the
// README's docs/dashboard.png:
//
//	go test ./devnet/dashboard -run TestScreenshot -screenshot ../../docs/dashboard.png
//
// It starts a devnet whose sequencer posts a wrong output for L2 block 10
// (so the page shows a dispute), deposits, and withdraws, then captures
// the page once it shows them; -devnet.datadir DIR captures the page of
// the devnet already running in DIR instead (served by this package's
// code, so a changed page can be seen without restarting the devnet).
func TestScreenshot(t *testing.T) {
	if *screenshotFlag == "" {
		t.Skip("writes docs/dashboard.png: run with -screenshot FILE")
	}
	browser := findBrowser(t)
	out, err := filepath.Abs(*screenshotFlag)
	if err != nil {
		t.Fatal(err)
	}
	var pageURL string
	var d *devnetRun
	if *datadirFlag == "" {
		d = startDevnet(t, "--dev.bad-output-at", "10")
		pageURL = d.url
	} else {
		pageURL = serveDatadir(t, *datadirFlag)
	}
	ctx, _ := openBrowser(t, browser, 1440, 900)
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("open %s: %v", pageURL, err)
	}
	if d != nil {
		waitPage(t, ctx, "a dispute", func(p page) error {
			if p.Disputes == 0 {
				return errors.New("no dispute yet")
			}
			return nil
		})
		d.deposit(t, 5, big.NewInt(2e18))
		d.withdraw(t, 6, big.NewInt(1e18))
		d.deposit(t, 7, big.NewInt(3e18))
		waitPage(t, ctx, "a credited deposit, a finalized batch and a finalized L2 head", func(p page) error {
			if number(p.Finalized) < 1 {
				return errors.New("no finalized L2 block yet")
			}
			credited, final := false, false
			for _, o := range p.Ops {
				credited = credited || o.Stage == "credited"
			}
			for _, b := range p.Batches {
				final = final || b.State == "final"
			}
			if !credited || !final {
				return fmt.Errorf("credited %v, a final batch %v", credited, final)
			}
			return nil
		})
	} else {
		waitPage(t, ctx, "the heads and the batches", func(p page) error {
			if number(p.L1) < 1 || number(p.Unsafe) < 1 || len(p.Batches) == 0 {
				return errors.New("no heads or batches yet")
			}
			return nil
		})
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("the screenshot is not a PNG (%d bytes)", len(png))
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d kB)", out, len(png)/1024)
}

// serveDatadir serves the dashboard of the devnet running in dir on a
// free loopback port until the test ends, and returns its URL.
func serveDatadir(t *testing.T, dir string) string {
	t.Helper()
	l := devnet.Layout{Dir: dir}
	eps, err := devnet.ReadEndpoints(l.EndpointsFile())
	if err != nil {
		t.Fatal(err)
	}
	params, err := devnet.LoadChainParams(l)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := dashboard.FromEndpoints(eps, &params)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := dashboard.Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return srv.URL()
}

// devnetRun is a running "devnet up" and what its summary and
// endpoints.json say.
type devnetRun struct {
	url   string // the dashboard's
	l1RPC string
	l2RPC string
}

var dashboardLineRE = regexp.MustCompile(`Dashboard: (http://127\.0\.0\.1:\d+/)`)

// startDevnet builds the binaries and runs "devnet up --quiet" in a
// temporary directory on free ports, the dashboard on a free port; the
// test's cleanup stops it.
func startDevnet(t *testing.T, args ...string) *devnetRun {
	t.Helper()
	bin := devnettest.BuildBinaries(t, "devnet", "validator", "sequencer", "challenger")
	l := devnet.Layout{Dir: filepath.Join(t.TempDir(), "devnet")}
	devnettest.DumpLogsOnFailure(t, l, 40)
	up := devnettest.StartUp(t, filepath.Join(bin, "devnet"), stopTimeout, append([]string{"--datadir", l.Dir,
		"--port-offset", strconv.Itoa(devnettest.FreeOffset(t, 4, 3700)),
		"--quiet", "--bin-dir", bin, "--dashboard.addr", "127.0.0.1:0"}, args...)...)
	var m []string
	waitfor.Until(t, startTimeout, func() error {
		select {
		case <-up.Done():
			t.Fatalf("devnet up exited (%v):\n%s", up.Err(), up.Output())
		default:
		}
		if m = dashboardLineRE.FindStringSubmatch(up.Output()); m == nil {
			return errors.New("devnet up has not printed the dashboard's URL")
		}
		return nil
	})
	eps, err := devnet.ReadEndpoints(l.EndpointsFile())
	if err != nil {
		t.Fatal(err)
	}
	seq, ok := eps.Sequencer()
	if !ok || len(eps.Validators()) == 0 {
		t.Fatalf("endpoints.json has no sequencer or no validator: %+v", eps)
	}
	return &devnetRun{url: m[1], l1RPC: eps.Validators()[0].RPC, l2RPC: seq.RPC}
}

// deposit sends deposit(itself) of amount from development account i to
// the L1 bridge, waits for its receipt and returns the operation's id as
// the page names it ("L1BLOCK/INDEX").
func (d *devnetRun) deposit(t *testing.T, i int, amount *big.Int) string {
	t.Helper()
	signer, err := wallet.DevAccount(i)
	if err != nil {
		t.Fatal(err)
	}
	r := send(t, d.l1RPC, signer, bridge.Address, amount, bridge.PackDeposit(signer.Address))
	dep, err := wallet.DepositFromReceipt(r)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d/%d", dep.L1Block, dep.Index)
}

// withdraw sends initiateWithdrawal(itself) of amount from development
// account i to the L2 withdrawal queue and waits for its receipt.
func (d *devnetRun) withdraw(t *testing.T, i int, amount *big.Int) {
	t.Helper()
	signer, err := wallet.DevAccount(i)
	if err != nil {
		t.Fatal(err)
	}
	send(t, d.l2RPC, signer, bridge.WithdrawalQueueAddress, amount, withdrawalqueue.PackInitiate(signer.Address))
}

// send signs and sends a call of data with value to to on the node at
// rpcURL, and returns its receipt.
func send(t *testing.T, rpcURL string, signer wallet.Signer, to common.Address, value *big.Int, data []byte) *types.Receipt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := wallet.Dial(ctx, rpcURL, "the devnet's node")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	plan, err := c.PlanCall(ctx, signer.Address, to, value, data)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := plan.Sign(signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, tx); err != nil {
		t.Fatal(err)
	}
	ec, err := ethclient.DialContext(ctx, rpcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	var r *types.Receipt
	waitfor.Until(t, time.Minute, func() error {
		r, err = ec.TransactionReceipt(ctx, tx.Hash())
		return err
	})
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("transaction %s to %s failed", tx.Hash(), to)
	}
	return r
}
