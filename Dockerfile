# syntax=docker/dockerfile:1
# Multi-stage build: the SDK image compiles, the small ASP.NET runtime image runs as non-root.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, on the project files alone, so source edits reuse the cached restore layer.
COPY global.json Directory.Build.props Directory.Packages.props Chronoq.sln ./
COPY protos/ protos/
COPY src/Chronoq.Protocol/Chronoq.Protocol.csproj src/Chronoq.Protocol/
COPY src/Chronoq.Core/Chronoq.Core.csproj src/Chronoq.Core/
COPY src/Chronoq.Storage.Postgres/Chronoq.Storage.Postgres.csproj src/Chronoq.Storage.Postgres/
COPY src/Chronoq.Service/Chronoq.Service.csproj src/Chronoq.Service/
COPY src/Chronoq.Sdk/Chronoq.Sdk.csproj src/Chronoq.Sdk/
COPY src/Chronoq.Cli/Chronoq.Cli.csproj src/Chronoq.Cli/
RUN dotnet restore src/Chronoq.Service/Chronoq.Service.csproj \
 && dotnet restore src/Chronoq.Cli/Chronoq.Cli.csproj
COPY src/ src/
RUN dotnet publish src/Chronoq.Service/Chronoq.Service.csproj -c Release --no-restore -o /app \
 && dotnet publish src/Chronoq.Cli/Chronoq.Cli.csproj -c Release --no-restore -o /cli

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The `chronoq` CLI beside the server, for `docker compose exec chronoq chronoq stats`.
COPY --from=build /cli /opt/chronoq-cli/
RUN ln -s /opt/chronoq-cli/chronoq /usr/local/bin/chronoq
# Inside a container the endpoints must listen on all interfaces; the defaults bind loopback only.
# Listening beyond loopback without API keys is refused unless allowed explicitly: the image allows it
# so it runs out of the box on a private network; set Chronoq__Auth__Enabled=true and keys otherwise.
ENV Chronoq__GrpcUrl=http://0.0.0.0:50051 \
    Chronoq__Auth__AllowUnauthenticated=true \
    Chronoq__HttpUrl=http://0.0.0.0:8080 \
    Chronoq__ShutdownTimeout=00:00:25
# GC: the server's build selects server GC with DATAS (see Chronoq.Service.csproj); workstation GC
# (DOTNET_gcServer=0) made delayed jobs later. DATAS starts with one heap and adds heaps only under
# load, so memory does not grow with the host's core count (DOTNET_GCHeapCount caps the heaps). A
# container memory limit caps the heap at 75 % of it; DOTNET_GCHeapHardLimit sets it explicitly.
EXPOSE 50051 8080
# The image's built-in non-root user (uid 1654).
USER $APP_UID
ENTRYPOINT ["dotnet", "Chronoq.Service.dll"]
