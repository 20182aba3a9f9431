// Command testserver runs a single-process Temporal Service on SQLite for the integration
// tests, the serverless-loop tests and `npm run demo`. It is built from go.temporal.io/server
// with ordinary module resolution, so nothing is downloaded at run time.
//
// It prints one line "READY <host:port>" on stdout once the frontend accepts calls, and stops
// cleanly on SIGINT or SIGTERM.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

const clusterName = "active"

// apiKeyClaimMapper rejects requests whose Authorization header carries a key it does not
// accept, so tests see a real "wrong API key" failure. Requests without the header (the server's
// own system workers) pass. The accepted keys are the -api-key flag's, or the lines of the
// -api-keys-file file, read again whenever the file changes: a test rotates a key by rewriting it.
type apiKeyClaimMapper struct {
	key  string
	file string
	mu   sync.Mutex
	seen time.Time
	keys map[string]bool
}

func (m *apiKeyClaimMapper) accepts(token string) bool {
	if m.file == "" {
		return token == "Bearer "+m.key
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if info, err := os.Stat(m.file); err == nil && !info.ModTime().Equal(m.seen) {
		if data, err := os.ReadFile(m.file); err == nil {
			m.seen = info.ModTime()
			m.keys = map[string]bool{}
			for _, line := range strings.Split(string(data), "\n") {
				if key := strings.TrimSpace(line); key != "" {
					m.keys["Bearer "+key] = true
				}
			}
		}
	}
	return m.keys[token]
}

func (m *apiKeyClaimMapper) GetClaims(info *authorization.AuthInfo) (*authorization.Claims, error) {
	if info.AuthToken == "" || m.accepts(info.AuthToken) {
		return &authorization.Claims{System: authorization.RoleAdmin}, nil
	}
	return nil, fmt.Errorf("the API key is not valid")
}

func (*apiKeyClaimMapper) AuthInfoRequired() bool { return false }

// dynamicFlags collects repeated -dynamic key=jsonValue flags.
type dynamicFlags map[string]any

func (d dynamicFlags) String() string { return fmt.Sprint(map[string]any(d)) }

func (d dynamicFlags) Set(s string) error {
	key, raw, ok := strings.Cut(s, "=")
	if !ok || key == "" {
		return fmt.Errorf("expected key=value, received %q", s)
	}
	var value any
	if err := json.Unmarshal([]byte(raw), &value); err != nil {
		value = raw // a bare string
	}
	d[key] = value
	return nil
}

func freePort(ip string) int {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		fail("no free port on %s: %v", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "testserver: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	ip := flag.String("ip", "127.0.0.1", "address the services listen on (loopback only in tests)")
	port := flag.Int("port", 0, "frontend gRPC port; 0 picks a free one")
	dbFile := flag.String("db", "", "SQLite file to persist to; empty keeps everything in memory")
	namespaces := flag.String("namespaces", "default", "comma-separated namespaces to create at start")
	logLevel := flag.String("log-level", "warn", "server log level: debug, info, warn, error")
	apiKey := flag.String("api-key", "", "when set, reject requests that carry another API key")
	apiKeysFile := flag.String("api-keys-file", "", "when set, accept only the API keys listed in this file, one a line, read again when it changes")
	dynamic := dynamicFlags{}
	flag.Var(dynamic, "dynamic", "dynamic config key=value (value parsed as JSON), repeatable")
	flag.Parse()

	if *port == 0 {
		*port = freePort(*ip)
	}
	hostPort := net.JoinHostPort(*ip, fmt.Sprint(*port))

	sqlConfig := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: map[string]string{},
	}
	if *dbFile == "" {
		sqlConfig.ConnectAttributes["mode"] = "memory"
		sqlConfig.ConnectAttributes["cache"] = "shared"
		sqlConfig.DatabaseName = fmt.Sprintf("testserver-%d", os.Getpid())
	} else {
		sqlConfig.ConnectAttributes["mode"] = "rwc"
		sqlConfig.DatabaseName = *dbFile
		if _, err := os.Stat(*dbFile); os.IsNotExist(err) {
			if err := os.MkdirAll(filepath.Dir(*dbFile), 0o755); err != nil {
				fail("cannot create the folder of -db %s: %v", *dbFile, err)
			}
			if err := sqlite.SetupSchema(sqlConfig); err != nil {
				fail("cannot set up the schema in %s: %v", *dbFile, err)
			}
		}
	}

	service := func(offset int) config.Service {
		rpcPort := *port
		if offset > 0 {
			rpcPort = freePort(*ip)
		}
		return config.Service{RPC: config.RPC{
			GRPCPort:        rpcPort,
			MembershipPort:  freePort(*ip),
			BindOnLocalHost: false,
			BindOnIP:        *ip,
			HTTPPort:        freePort(*ip),
		}}
	}

	cfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: *ip},
			Metrics: &metrics.Config{Prometheus: &metrics.PrometheusConfig{
				ListenAddress: net.JoinHostPort(*ip, fmt.Sprint(freePort(*ip))),
				HandlerPath:   "/metrics",
			}},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlConfig}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: hostPort},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": service(0),
			"history":  service(1),
			"matching": service(2),
			"worker":   service(3),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		PublicClient: config.PublicClient{HostPort: hostPort},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
	}

	var nsConfigs []*sqlite.NamespaceConfig
	for _, ns := range strings.Split(*namespaces, ",") {
		if ns = strings.TrimSpace(ns); ns == "" {
			continue
		}
		nsConfig, err := sqlite.NewNamespaceConfig(clusterName, ns, false, nil)
		if err != nil {
			fail("namespace %q: %v", ns, err)
		}
		nsConfigs = append(nsConfigs, nsConfig)
	}
	if err := sqlite.CreateNamespaces(sqlConfig, nsConfigs...); err != nil {
		fail("cannot create namespaces: %v", err)
	}

	static := dynamicconfig.StaticClient{}
	for key, value := range dynamic {
		static[dynamicconfig.MakeKey(key)] = value
	}

	logger := log.NewZapLogger(log.BuildZapLogger(log.Config{Stdout: false, Level: *logLevel}))
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		fail("authorizer: %v", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		fail("claim mapper: %v", err)
	}
	if *apiKey != "" || *apiKeysFile != "" {
		claimMapper = &apiKeyClaimMapper{key: *apiKey, file: *apiKeysFile}
	}
	server, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(static),
	)
	if err != nil {
		fail("cannot create the server: %v", err)
	}
	if err := server.Start(); err != nil {
		fail("cannot start the server: %v", err)
	}
	fmt.Printf("READY %s\n", hostPort)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	<-signals
	if err := server.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testserver: stop: %v\n", err)
	}
}
