#!/usr/bin/env bash
# Runs the whole benchmark suite and prints its tables (markdown) with the targets of issue 5.
#
#   tests/benchmarks/run_all.sh            # 3 rounds, a fresh process per mode and round
#   ROUNDS=5 tests/benchmarks/run_all.sh   # more rounds: medians steadier on a noisy machine
#   BENCH=path/to/tasktools_bench OUT=results.jsonl tests/benchmarks/run_all.sh
#
# Builds build-bench/ (Release) first unless BENCH names an existing binary. Each round runs
# every mode once, modes interleaved, so drift of the machine spreads over all of them. The
# throughput and contention modes run each implementation in a process of its own: the first
# million futures of a process fault its heap in (~170k page faults), which would otherwise
# charge whichever implementation runs first;
# `tasktools_bench report` takes the median of the rounds. Takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds="${ROUNDS:-3}"
bench="${BENCH:-}"
if [ -z "$bench" ]; then
    build="${BUILD_DIR:-build-bench}"
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTASKTOOLS_BUILD_BENCHMARKS=ON \
        -DTASKTOOLS_BUILD_EXAMPLES=OFF >/dev/null
    cmake --build "$build" --target tasktools_bench --parallel 2 >/dev/null
    bench="$build/tests/benchmarks/tasktools_bench"
fi
out="${OUT:-$(mktemp -t tasktools_bench.XXXXXX.jsonl)}"
: >"$out"

modes=(throughput contention latency timeouts memory status batch)
for ((round = 1; round <= rounds; round++)); do
    for mode in "${modes[@]}"; do
        echo "round $round/$rounds: $mode" >&2
        case "$mode" in
        throughput | contention)
            impls=(tasktools std qt-invoke qtconcurrent)
            if [ "$mode" = throughput ]; then
                impls+=(tasktools-size64 tasktools-timeout1s tasktools-size64-timeout1s)
            fi
            impls+=(qfuture-ideal)
            # Diagnostic: the pool thread at nice -10 (needs root or CAP_SYS_NICE).
            if [ "$mode" = contention ] && [ "$(id -u)" = 0 ]; then
                impls+=(tasktools-nice-10)
            fi
            # Each round starts at another implementation: none always runs first, right
            # after the previous mode, nor always after the same neighbour.
            count=${#impls[@]}
            for ((i = 0; i < count; i++)); do
                impl=${impls[$(((i + round - 1) % count))]}
                "$bench" "$mode" --impl "$impl" >>"$out"
            done
            ;;
        *) "$bench" "$mode" >>"$out" ;;
        esac
    done
done

echo "# $(date -u +%Y-%m-%d), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $rounds rounds, medians"
"$bench" report "$out"
echo >&2
echo "raw results: $out" >&2
