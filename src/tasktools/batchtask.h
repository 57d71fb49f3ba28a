// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_BATCHTASK_H
#define TASKTOOLS_BATCHTASK_H

// Implementation detail of the pools' createTasks(): not API, may change in any release.
//
// A batch is one record in the pool (one slot of `size`, one entry of `maxPending`, one task in
// PoolStatus) holding a copy of the caller's range, the function, and the one outer
// QFutureInterface<R> that receives every result in order, reported in blocks. It calls the
// function on the pool thread for at most SliceNs at a time; when elements remain it yields to
// the pool thread's event loop (so timers, other tasks and status updates go on) and counts as
// a running asynchronous task meanwhile, which gives it the usual semantics for free: the
// pool's timeout, the caller's cancel() and stop(grace) end it between two elements.

#include <tasktools/taskrecord.h>

#include <QtCore/qlist.h>
#include <QtCore/qobject.h>

#include <chrono>
#include <iterator>
#include <limits>
#include <ranges>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace TaskTools::Detail {

template<typename Range, typename F>
using BatchElement = std::ranges::range_reference_t<std::decay_t<Range> &>;

// What a batch's future carries: R for a function returning R.
template<typename Range, typename F>
using BatchResult = std::invoke_result_t<std::decay_t<F> &, BatchElement<Range, F>>;

template<typename Rng, typename Fn, typename R>
class BatchTask final : public TaskNode
{
public:
    // How long one visit of the pool thread calls the function before yielding to its loop.
    static constexpr qint64 SliceNs = 2'000'000;
    // Results are handed to the future in blocks of at most this many.
    static constexpr int BlockSize = 4096;

    template<typename Range, typename F>
    BatchTask(Range &&range, F &&f)
        : TaskNode(&m_outer), m_range(std::forward<Range>(range)), m_fn(std::forward<F>(f))
    {
        if constexpr (std::ranges::sized_range<Rng>) {
            const auto size = std::ranges::size(m_range);
            if (std::cmp_greater(size, std::numeric_limits<int>::max()))
                throw std::invalid_argument("TaskTools: createTasks() takes at most INT_MAX "
                                            "elements (a QFuture's results are int-indexed)");
            m_outer.setProgressRange(0, int(size));
        }
        m_outer.reportStarted();
    }

    ~BatchTask() override
    {
        if (m_context)
            m_context->deleteLater(); // lives on the pool thread; we may be on another
        if (!m_outer.isFinished()) {
            m_outer.reportCanceled();
            m_outer.reportFinished();
        }
        tsanDropTypedReference(m_outer);
    }

    QFuture<R> future() { return m_outer.future(); }

    Outcome run(const std::shared_ptr<Inbox> &inbox) noexcept override
    {
        try {
            m_it = std::ranges::begin(m_range);
        } catch (...) {
            return failWith(std::current_exception());
        }
        const End end = slice();
        if (end != End::More)
            return finish(end);
        m_inbox = inbox;
        if (!scheduleStep())
            return finish(End::Threw); // the scheduling error
        return Outcome::Running;
    }

    // Pool thread, once the engine took the completion a step posted: the outer future ends
    // here, not in the step, so that the engine's cancel sweep (which polls isCanceled(), also
    // true on Qt 6.4 for a future that failed) cannot mistake a failure for a cancel meanwhile.
    Outcome complete() noexcept override { return finish(m_end); }
    // Pool thread: the engine ended the batch (timeout, cancel, grace). The pending step goes
    // with its receiver (deleting a QObject drops its posted events), which gives back the
    // step's reference now: left queued, it could outlive the loop and keep the batch alive.
    void cancelInner() noexcept override
    {
        m_stopRequested = true;
        delete std::exchange(m_context, nullptr);
    }
    bool isInnerFinished() const noexcept override { return m_done; }

protected:
    void reportOuterFinished() noexcept override { m_outer.reportFinished(); }
    void discardOuterResults() noexcept override
    {
        if constexpr (!std::is_void_v<R>) {
            QMutexLocker locker(&m_outer.mutex());
            m_outer.resultStoreBase().template clear<R>();
        }
    }

private:
    // How a slice left the batch.
    enum class End : quint8 {
        More, // elements remain
        Done, // every element was called
        Threw, // the function (or the range) threw: m_error
        CanceledByCaller, // the outer future was canceled
    };

    // The reference a scheduled step holds on its node: given back if the step never runs (its
    // event discarded with its receiver).
    struct Step
    {
        BatchTask *node;
        explicit Step(BatchTask *n) : node(n) { }
        Step(Step &&other) noexcept : node(std::exchange(other.node, nullptr)) { }
        Step(const Step &) = delete;
        Step &operator=(const Step &) = delete;
        Step &operator=(Step &&) = delete;
        ~Step()
        {
            if (node)
                node->release();
        }
        void operator()() { std::exchange(node, nullptr)->step(); }
    };

    // Pool thread. The scheduled step holds one reference. False if it could not be scheduled
    // (out of memory, kept in m_error): the batch then ends with that error rather than hang.
    bool scheduleStep() noexcept
    {
        try {
            if (!m_context)
                m_context = new QObject; // created here, so it lives on the pool thread
            retain();
            QMetaObject::invokeMethod(m_context, Step(this), Qt::QueuedConnection);
            return true;
        } catch (...) {
            m_error = std::current_exception();
            return false;
        }
    }

    // Pool thread, from the loop; owns the step's reference.
    void step() noexcept
    {
        if (m_stopRequested) {
            // The engine already ended this batch (timeout, cancel, grace): just let go.
            release();
            return;
        }
        End end = slice();
        if (end == End::More) {
            if (scheduleStep()) {
                release(); // the next step holds its own
                return;
            }
            end = End::Threw;
        }
        m_end = end;
        m_done = true;
        postCompletion(m_inbox.get(), this); // the step's reference becomes the engine's watch
    }

    // Ends the outer future as a slice found; returns the task's outcome.
    Outcome finish(End end) noexcept
    {
        switch (end) {
        case End::Done:
            return finishOuter();
        case End::Threw:
            return failWith(std::exchange(m_error, {}));
        case End::CanceledByCaller:
        case End::More:
            break;
        }
        cancel();
        return Outcome::Canceled;
    }

    // Calls the function on the next elements for at most SliceNs (at least one element). Does
    // not end the outer future: it says how the batch stands.
    End slice() noexcept
    {
        using SteadyClock = std::chrono::steady_clock;
        const SteadyClock::time_point start = SteadyClock::now();
        try {
            const auto end = std::ranges::end(m_range);
            for (;;) {
                if (m_outer.isCanceled()) // by the caller
                    return End::CanceledByCaller;
                if (m_it == end)
                    return End::Done;
                // A block: the clock (and the caller's cancel) is read after 1, 2, 4 ... 256
                // elements, then every 256, so that a slow function still yields in time and a
                // fast one barely pays.
                bool sliceOver = false;
                int count = 0;
                auto checkpoint = [&] {
                    ++count;
                    if ((count & (count - 1)) == 0 || (count & 255) == 0) {
                        if (m_outer.isCanceled()
                            || SteadyClock::now() - start > std::chrono::nanoseconds(SliceNs))
                            sliceOver = true;
                    }
                };
                if constexpr (std::is_void_v<R>) {
                    while (m_it != end && count < BlockSize && !sliceOver) {
                        std::invoke(m_fn, *m_it);
                        ++m_it;
                        checkpoint();
                    }
                } else {
                    QList<R> block;
                    block.reserve(BlockSize);
                    while (m_it != end && count < BlockSize && !sliceOver) {
                        block.append(std::invoke(m_fn, *m_it));
                        ++m_it;
                        checkpoint();
                    }
                    m_outer.reportResults(block);
                }
                m_doneCount += count;
                if constexpr (std::ranges::sized_range<Rng>)
                    m_outer.setProgressValue(m_doneCount);
                if (sliceOver && m_it != end && !m_outer.isCanceled())
                    return End::More;
            }
        } catch (...) {
            m_error = std::current_exception();
            return End::Threw;
        }
    }

    Outcome failWith(std::exception_ptr error) noexcept
    {
        fail(std::move(error));
        // Whatever the future holds: a cancel() by the caller until the exception was in made
        // fail() drop it (checking isCanceled() first would leave a window for that cancel).
        return exception() ? Outcome::Failed : Outcome::Canceled;
    }

    Outcome finishOuter() noexcept
    {
        const bool canceled = m_outer.isCanceled();
        m_outer.reportFinished();
        return canceled ? Outcome::Canceled : Outcome::Completed;
    }

    Rng m_range;
    Fn m_fn;
    QFutureInterface<R> m_outer;
    std::ranges::iterator_t<Rng> m_it {};
    int m_doneCount = 0;
    // Pool thread only, from here on.
    std::shared_ptr<Inbox> m_inbox; // set once the batch needs more than one slice
    QObject *m_context = nullptr; // receives the queued steps
    End m_end = End::More;
    std::exception_ptr m_error;
    bool m_done = false;
    bool m_stopRequested = false;
};

// Builds the record of a batch; the range is copied or moved into it.
template<typename Range, typename F>
auto makeBatch(Range &&range, F &&f)
{
    using Rng = std::decay_t<Range>;
    using Fn = std::decay_t<F>;
    static_assert(std::ranges::input_range<Rng &>,
                  "TaskTools: createTasks() takes a range (a container, or a view such as "
                  "std::views::iota)");
    static_assert(std::is_invocable_v<Fn &, std::ranges::range_reference_t<Rng &>>,
                  "TaskTools: createTasks() calls its function with each element of the range");
    using R = std::invoke_result_t<Fn &, std::ranges::range_reference_t<Rng &>>;
    static_assert(!FutureTraits<R>::isFuture,
                  "TaskTools: createTasks() runs synchronous functions; submit asynchronous work "
                  "(returning a QFuture) with createTask()");
    static_assert(!std::is_reference_v<R>, "TaskTools: a batch's function must return by value");
    static_assert(std::is_void_v<R> || std::is_copy_constructible_v<R>,
                  "TaskTools: a batch's results must be copyable (they are stored in a QList)");
    checkCallable(f, "the batch's function");
    return new BatchTask<Rng, Fn, R>(std::forward<Range>(range), std::forward<F>(f));
}

} // namespace TaskTools::Detail

#endif // TASKTOOLS_BATCHTASK_H
