// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "taskrecord.h"

#include "poolcore_p.h"

namespace TaskTools::Detail {

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
