// Command otlpreceiver is a real OTLP/gRPC receiver for the telemetry tests: it decodes the
// official OTLP protobufs (go.opentelemetry.io/proto/otlp) and prints every export request as
// one JSON line on stdout: {"signal":"metrics"|"traces","receivedAtMs":...,"request":{...}}.
// It prints "READY <host:port>" once it listens and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

type printer struct {
	mu sync.Mutex
}

func (p *printer) print(signal string, request proto.Message) error {
	body, err := protojson.MarshalOptions{UseProtoNames: false}.Marshal(request)
	if err != nil {
		return err
	}
	line, err := json.Marshal(map[string]any{
		"signal":       signal,
		"receivedAtMs": time.Now().UnixMilli(),
		"request":      json.RawMessage(body),
	})
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err = fmt.Fprintln(os.Stdout, string(line))
	return err
}

type metricsService struct {
	colmetricspb.UnimplementedMetricsServiceServer
	out *printer
}

func (s *metricsService) Export(_ context.Context, req *colmetricspb.ExportMetricsServiceRequest) (*colmetricspb.ExportMetricsServiceResponse, error) {
	return &colmetricspb.ExportMetricsServiceResponse{}, s.out.print("metrics", req)
}

type traceService struct {
	coltracepb.UnimplementedTraceServiceServer
	out *printer
}

func (s *traceService) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	return &coltracepb.ExportTraceServiceResponse{}, s.out.print("traces", req)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (loopback in tests)")
	flag.Parse()

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "otlpreceiver: cannot listen on %s: %v\n", *listen, err)
		os.Exit(1)
	}
	out := &printer{}
	server := grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))
	colmetricspb.RegisterMetricsServiceServer(server, &metricsService{out: out})
	coltracepb.RegisterTraceServiceServer(server, &traceService{out: out})
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
		<-signals
		server.Stop()
	}()
	fmt.Printf("READY %s\n", listener.Addr().String())
	if err := server.Serve(listener); err != nil {
		fmt.Fprintf(os.Stderr, "otlpreceiver: %v\n", err)
		os.Exit(1)
	}
}
