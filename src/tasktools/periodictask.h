// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_PERIODICTASK_H
#define TASKTOOLS_PERIODICTASK_H

#include <tasktools/backgroundtask.h>

#include <QtCore/qbasictimer.h>
#include <QtCore/qelapsedtimer.h>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace TaskTools {

namespace Detail {
template<typename>
inline constexpr bool isStdFunction = false;
template<typename Signature>
inline constexpr bool isStdFunction<std::function<Signature>> = true;
} // namespace Detail

// Calls a function again and again, every `interval`, in the event loop of the thread the object
// lives in, until canceled: polling, heartbeats, periodic refreshes whose lifetime is the
// object's (delete the parent, and the calls stop).
//
// The function takes no arguments and returns void (synchronous: the call ends when it returns)
// or QFuture<void> (asynchronous: the call lasts until that future finishes; it may use the
// thread's timers and I/O). Its schedule:
// - the first call happens at once, inside start();
// - each next call begins `interval` after the previous one began (start to start);
// - a call that takes longer than `interval` is followed by the next one as soon as it ends;
// - calls never overlap: a call never begins while the previous call's future is unfinished.
// Timers of the owner thread (Qt::PreciseTimer) drive it; it has no thread of its own, and a
// late timer delays the cadence rather than firing calls in a burst to catch up.
//
// A call that throws, or whose future fails, ends the task: failed(message) is emitted and the
// future start() returned carries that exception. A call whose future is canceled just ends
// that call; the next one follows on schedule. The future start() returned has no result: it
// ends canceled when cancel(), a restart or the destruction of the task stops it, and canceling
// it stops the task. cancel() and destruction also cancel the future of a call in progress.
//
// Call start() and cancel() from the object's thread; the function is always called there, and
// may call cancel() itself (see BackgroundTaskBase): that ends the run, and the future the call
// then returns is canceled.
// Signals, `running`, destruction: see BackgroundTaskBase.
class TASKTOOLS_EXPORT PeriodicTask : public BackgroundTaskBase
{
    Q_OBJECT

public:
    // Throws std::invalid_argument if `interval` is negative or `function` is an empty
    // std::function or a null function pointer.
    template<typename F>
    PeriodicTask(std::chrono::milliseconds interval, F &&function, QObject *parent = nullptr)
        : PeriodicTask(interval, wrap(std::forward<F>(function)), parent, Tag {})
    { }
    ~PeriodicTask() override;

    std::chrono::milliseconds interval() const { return m_interval; }

    // Cancels a current run, if any, makes the first call and returns the run's future.
    [[nodiscard]] QFuture<void> start();

protected:
    void timerEvent(QTimerEvent *event) override;

private:
    using Call = std::function<QFuture<void>()>;
    struct Tag
    {
    };

    PeriodicTask(std::chrono::milliseconds interval, Call call, QObject *parent, Tag);

    template<typename R>
    static constexpr bool isAcceptedResult = std::is_void_v<R> || std::is_same_v<R, QFuture<void>>;
    template<typename Fn>
    static constexpr bool isNullable =
        std::is_pointer_v<Fn> || std::is_member_pointer_v<Fn> || Detail::isStdFunction<Fn>;

    // Each rejection stops there (if constexpr), so that the static_assert's message is the
    // only error the compiler reports.
    template<typename F>
    static Call wrap(F &&function)
    {
        using Fn = std::decay_t<F>;
        if constexpr (!std::is_invocable_v<Fn &>) {
            static_assert(Detail::alwaysFalse<F>,
                          "TaskTools::PeriodicTask: the function must be callable with no "
                          "arguments");
            return {};
        } else if constexpr (!isAcceptedResult<std::invoke_result_t<Fn &>>) {
            static_assert(Detail::alwaysFalse<F>,
                          "TaskTools::PeriodicTask: the function must return void or "
                          "QFuture<void>; a value it returned would be lost");
            return {};
        } else {
            if constexpr (isNullable<Fn>) {
                if (!function)
                    throw std::invalid_argument("TaskTools::PeriodicTask: the function is empty");
            }
            if constexpr (std::is_void_v<std::invoke_result_t<Fn &>>) {
                return [function = Fn(std::forward<F>(function))]() mutable {
                    std::invoke(function);
                    return readyFuture();
                };
            } else {
                return Call(std::forward<F>(function));
            }
        }
    }
    static QFuture<void> readyFuture();

    void call(quint64 run);
    void innerFinished(const QFutureInterfaceBase &inner) override;
    void runEnding() override;
    void scheduleNext();

    const std::chrono::milliseconds m_interval;
    // Shared with a call in progress: the function outlives the task if that is deleted while it
    // runs (the function canceled the task, and a slot deleted it).
    std::shared_ptr<const Call> m_call;
    QBasicTimer m_timer;
    QElapsedTimer m_callStarted;
    quint64 m_run = 0;
};

} // namespace TaskTools

#endif // TASKTOOLS_PERIODICTASK_H
