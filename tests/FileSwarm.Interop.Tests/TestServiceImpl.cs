using FileSwarm.Interop.Testing;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Server;
using Google.Protobuf;

namespace FileSwarm.Interop.Tests;

/// <summary>
/// grpc.testing.TestService on FileSwarm's server, as the interop test descriptions specify it:
/// payload sizes, status echo, and echo of the x-grpc-test-echo-* metadata.
/// </summary>
public static class TestServiceImpl
{
    public const string EchoInitialKey = "x-grpc-test-echo-initial";
    public const string EchoTrailingKey = "x-grpc-test-echo-trailing-bin";

    public static RpcServiceBuilder Bind() =>
        new RpcServiceBuilder(TestReflection.Descriptor.Services.Single(s => s.Name == "TestService"))
            .Unary<Empty, Empty>("EmptyCall", (_, _) => Task.FromResult(new Empty()))
            .Unary<SimpleRequest, SimpleResponse>("UnaryCall", UnaryCallAsync)
            .ServerStreaming<StreamingOutputCallRequest, StreamingOutputCallResponse>("StreamingOutputCall", StreamingOutputCallAsync)
            .ClientStreaming<StreamingInputCallRequest, StreamingInputCallResponse>("StreamingInputCall", StreamingInputCallAsync)
            .Duplex<StreamingOutputCallRequest, StreamingOutputCallResponse>("FullDuplexCall", FullDuplexCallAsync)
            .Duplex<StreamingOutputCallRequest, StreamingOutputCallResponse>("HalfDuplexCall", HalfDuplexCallAsync);

    private static async Task<SimpleResponse> UnaryCallAsync(SimpleRequest request, ServerCallContext context)
    {
        await EchoMetadataAsync(context);
        ThrowRequestedStatus(request.ResponseStatus);
        return new SimpleResponse { Payload = Zeros(request.ResponseSize) };
    }

    private static async Task StreamingOutputCallAsync(
        StreamingOutputCallRequest request, IAsyncStreamWriter<StreamingOutputCallResponse> responses, ServerCallContext context)
    {
        await EchoMetadataAsync(context);
        await WriteResponsesAsync(request, responses, context.CancellationToken);
        ThrowRequestedStatus(request.ResponseStatus);
    }

    private static async Task<StreamingInputCallResponse> StreamingInputCallAsync(
        IAsyncStreamReader<StreamingInputCallRequest> requests, ServerCallContext context)
    {
        var total = 0;
        await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
        {
            total += request.Payload?.Body.Length ?? 0;
        }

        return new StreamingInputCallResponse { AggregatedPayloadSize = total };
    }

    private static async Task FullDuplexCallAsync(
        IAsyncStreamReader<StreamingOutputCallRequest> requests, IAsyncStreamWriter<StreamingOutputCallResponse> responses, ServerCallContext context)
    {
        await EchoMetadataAsync(context);
        await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
        {
            ThrowRequestedStatus(request.ResponseStatus);
            await WriteResponsesAsync(request, responses, context.CancellationToken);
        }
    }

    private static async Task HalfDuplexCallAsync(
        IAsyncStreamReader<StreamingOutputCallRequest> requests, IAsyncStreamWriter<StreamingOutputCallResponse> responses, ServerCallContext context)
    {
        var all = new List<StreamingOutputCallRequest>();
        await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
        {
            all.Add(request);
        }

        foreach (var request in all)
        {
            await WriteResponsesAsync(request, responses, context.CancellationToken);
        }
    }

    private static async Task WriteResponsesAsync(
        StreamingOutputCallRequest request, IAsyncStreamWriter<StreamingOutputCallResponse> responses, CancellationToken cancellationToken)
    {
        foreach (var parameters in request.ResponseParameters)
        {
            if (parameters.IntervalUs > 0)
            {
                await Task.Delay(TimeSpan.FromMicroseconds(parameters.IntervalUs), cancellationToken);
            }

            await responses.WriteAsync(new StreamingOutputCallResponse { Payload = Zeros(parameters.Size) }, cancellationToken);
        }
    }

    private static async Task EchoMetadataAsync(ServerCallContext context)
    {
        if (context.RequestHeaders.GetValue(EchoInitialKey) is { } initial)
        {
            await context.WriteResponseHeadersAsync(new Metadata().Add(EchoInitialKey, initial));
        }

        if (context.RequestHeaders.GetValueBytes(EchoTrailingKey) is { } trailing)
        {
            context.ResponseTrailers.Add(EchoTrailingKey, trailing);
        }
    }

    private static void ThrowRequestedStatus(EchoStatus? status)
    {
        if (status is { Code: not 0 })
        {
            throw new RpcException((StatusCode)status.Code, status.Message);
        }
    }

    private static Payload Zeros(int size) => new() { Body = ByteString.CopyFrom(new byte[size]) };
}
