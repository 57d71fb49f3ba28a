// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_BENCH_BENCHUTIL_H
#define TASKTOOLS_BENCH_BENCHUTIL_H

// Small helpers of the benchmark suite: the JSON line each result is printed as, clocks,
// percentiles, heap accounting and the check that a task ran where it should.

#include <QtCore/qglobal.h>

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace Bench {

using Clock = std::chrono::steady_clock;

inline double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] inline void fail(const std::string &what)
{
    std::fprintf(stderr, "tasktools_bench: FAILED: %s\n", what.c_str());
    std::exit(1);
}

// One result, printed as one JSON line on stdout:
// {"scenario":"throughput","impl":"tasktools","n":1000000,"tasks_per_s":1234567.0}
class Row
{
public:
    Row(const char *scenario, const std::string &impl, qint64 n)
    {
        m_text = "{\"scenario\":\"" + std::string(scenario) + "\",\"impl\":\"" + impl
            + "\",\"n\":" + std::to_string(n);
    }
    Row &value(const char *key, double v)
    {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%.6g", v);
        m_text += ",\"" + std::string(key) + "\":" + buffer;
        return *this;
    }
    Row &text(const char *key, const std::string &v)
    {
        m_text += ",\"" + std::string(key) + "\":\"" + v + "\"";
        return *this;
    }
    void print()
    {
        std::printf("%s}\n", m_text.c_str());
        std::fflush(stdout);
    }

private:
    std::string m_text;
};

// Bytes currently allocated through malloc, mmapped blocks included, all arenas.
inline qint64 heapInUse()
{
    const struct mallinfo2 info = mallinfo2();
    return qint64(info.uordblks) + qint64(info.hblkhd);
}

// Tasks check that they do not run on the thread that submitted or waits for them (a
// QtConcurrent future may run its task on the waiter): each producer sets t_isCaller.
inline thread_local bool t_isCaller = false;
inline std::atomic<qint64> g_ranOnCaller {0};

inline void checkThread()
{
    if (Q_UNLIKELY(t_isCaller))
        g_ranOnCaller.fetch_add(1, std::memory_order_relaxed);
}

inline void checkNothingRanOnCaller(const std::string &impl)
{
    if (const qint64 stolen = g_ranOnCaller.exchange(0))
        fail(impl + ": " + std::to_string(stolen) + " tasks ran on the caller's thread");
}

struct Percentiles
{
    double medianUs = 0;
    double p99Us = 0;
};

inline Percentiles percentiles(std::vector<qint64> samplesNs)
{
    std::sort(samplesNs.begin(), samplesNs.end());
    const std::size_t n = samplesNs.size();
    return {double(samplesNs[n / 2]) / 1000.0,
            double(samplesNs[std::min(n - 1, n * 99 / 100)]) / 1000.0};
}

// Runs `work(begin, end)` on `producers` plain threads that start together; the tasks
// [0, n) are split evenly. Returns the seconds from the start until the last one returned.
template<typename Work>
double timedProducers(int producers, qint64 n, Work work)
{
    std::atomic<int> ready {0};
    std::atomic<bool> go {false};
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        const qint64 begin = n * p / producers;
        const qint64 end = n * (p + 1) / producers;
        threads.emplace_back([&, begin, end] {
            t_isCaller = true;
            ready.fetch_add(1);
            while (!go.load(std::memory_order_acquire))
                std::this_thread::yield();
            work(begin, end);
        });
    }
    while (ready.load() < producers)
        std::this_thread::yield();
    const Clock::time_point start = Clock::now();
    go.store(true, std::memory_order_release);
    for (std::thread &t : threads)
        t.join();
    return secondsSince(start);
}

} // namespace Bench

#endif // TASKTOOLS_BENCH_BENCHUTIL_H
