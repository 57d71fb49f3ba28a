// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "taskrecord.h"

#include "poolcore_p.h"

namespace TaskTools::Detail {

// --- RecordCache ---------------------------------------------------------------------------------
//
// A task record is allocated by the thread that submits it and, once the task ran, freed by the
// pool thread. malloc's per-thread caches do not help there: the pool thread's frees fill its own
// cache and then go back to the submitter's arena under that arena's lock, which the submitter
// takes for every allocation its empty cache cannot serve. (Callgrind, one producer: more than
// half of the producer's instructions are in malloc and free, mostly for Qt's futures.) So freed
// records go to a process-wide lock-free stack per size class instead, and a submitting thread
// takes a whole stack at once (one exchange: no ABA problem) into a list of its own, from which
// it allocates without any atomic operation. Measured with tasktools_bench on a quiet machine,
// interleaved rounds against the previous commit: one producer 1.21 -> 1.44 M tasks/s (medians of
// 10), 8 producers 0.83 / 0.81 (unchanged within the rounds' spread), latency median 0.82 / 0.67
// µs, memory per buffered task unchanged (561 B).
//
// Bounded: each class's stack holds at most MaxReturned blocks (the rest go to free()), and a
// thread's list at most what it took; the lists go back to malloc when their thread exits. Size
// classes follow glibc's chunk sizes (16-byte steps), so a recycled record takes no more memory
// than a malloc'd one. Builds under AddressSanitizer use malloc alone, so that a use after free
// is still caught.

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool Recycle = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool Recycle = false;
#else
constexpr bool Recycle = true;
#endif
#else
constexpr bool Recycle = true;
#endif

constexpr std::size_t Step = 16;
constexpr int SizeClasses = 16; // records up to 248 bytes
constexpr int MaxReturned = 4096; // per class
constexpr int EmptyBackoff = 64; // allocations before a thread looks at an empty stack again

struct FreeBlock
{
    FreeBlock *next;
};

struct ReturnStack
{
    alignas(64) std::atomic<FreeBlock *> head {nullptr};
    std::atomic<int> count {0};
};
ReturnStack g_returned[SizeClasses];

// Trivially destructible, so that it stays usable while the thread's destructors run; the
// reaper, made on a thread's first refill, hands its blocks back to malloc at thread exit.
struct LocalLists
{
    FreeBlock *list[SizeClasses];
    int backoff[SizeClasses];
    bool reaperArmed;
    bool closed;
};
thread_local LocalLists t_local {};

struct Reaper
{
    Reaper() { t_local.reaperArmed = true; }
    ~Reaper()
    {
        t_local.closed = true;
        for (FreeBlock *&list : t_local.list) {
            while (list)
                ::operator delete(std::exchange(list, list->next));
        }
    }
    bool armed = false;
};
thread_local Reaper t_reaper;

// glibc's chunk sizes: a request of 16k + 8 bytes fills a chunk of 16(k + 1).
int sizeClass(std::size_t size)
{
    const std::size_t c = (size + 8 + Step - 1) / Step - 1;
    return c < std::size_t(SizeClasses) ? int(c) : -1;
}

std::size_t classBytes(int c)
{
    return std::size_t(c + 1) * Step - 8;
}

FreeBlock *takeReturned(int c)
{
    ReturnStack &r = g_returned[c];
    if (!r.head.load(std::memory_order_relaxed))
        return nullptr;
    FreeBlock *list = r.head.exchange(nullptr, std::memory_order_acquire);
    int n = 0;
    for (FreeBlock *b = list; b; b = b->next)
        ++n;
    r.count.fetch_sub(n, std::memory_order_relaxed);
    return list;
}

} // namespace

void *TaskNode::operator new(std::size_t size)
{
    if constexpr (!Recycle)
        return ::operator new(size);
    const int c = sizeClass(size);
    if (c < 0)
        return ::operator new(size);
    LocalLists &local = t_local;
    FreeBlock *&list = local.list[c];
    if (!list && !local.closed && --local.backoff[c] <= 0) {
        list = takeReturned(c);
        if (!list) {
            local.backoff[c] = EmptyBackoff;
        } else if (!local.reaperArmed) {
            t_reaper.armed = true; // constructs it: its destructor runs at this thread's exit
        }
    }
    if (FreeBlock *b = list) {
        list = b->next;
        return b;
    }
    return ::operator new(classBytes(c));
}

void TaskNode::operator delete(void *block, std::size_t size) noexcept
{
    if constexpr (!Recycle) {
        ::operator delete(block);
        return;
    }
    const int c = sizeClass(size);
    if (c < 0) {
        ::operator delete(block);
        return;
    }
    ReturnStack &r = g_returned[c];
    if (r.count.fetch_add(1, std::memory_order_relaxed) >= MaxReturned) {
        r.count.fetch_sub(1, std::memory_order_relaxed);
        ::operator delete(block);
        return;
    }
    auto *b = static_cast<FreeBlock *>(block);
    FreeBlock *head = r.head.load(std::memory_order_relaxed);
    do {
        b->next = head;
    } while (!r.head.compare_exchange_weak(head, b, std::memory_order_release,
                                           std::memory_order_relaxed));
}

TaskNode::~TaskNode() = default;

TaskNode::Outcome TaskNode::complete() noexcept
{
    return Outcome::Completed;
}

void TaskNode::cancelInner() noexcept { }

bool TaskNode::isInnerFinished() const noexcept
{
    return true;
}

std::exception_ptr TaskNode::exception() const noexcept
{
    if (!m_outer->hasException())
        return {};
    return m_outer->exceptionStore().exception();
}

void TaskNode::fail(std::exception_ptr error) noexcept
{
    if (m_outer->isFinished())
        return;
    if (!m_outer->isCanceled())
        discardOuterResults();
    tsanReleaseFuture(*m_outer);
    m_outer->reportException(std::move(error)); // ignored if the caller canceled it
    reportOuterFinished();
}

void TaskNode::cancel() noexcept
{
    if (m_outer->isFinished())
        return;
    tsanReleaseFuture(*m_outer);
    m_outer->cancel();
    reportOuterFinished();
}

void postCompletion(Inbox *inbox, TaskNode *node) noexcept
{
    inbox->postCompletion(node);
}

QFuture<void> readyFuture()
{
    QFutureInterface<void> fi(QFutureInterfaceBase::Started);
    fi.reportFinished();
    return fi.future();
}

} // namespace TaskTools::Detail
