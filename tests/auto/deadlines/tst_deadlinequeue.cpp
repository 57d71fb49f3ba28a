// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// DeadlineQueue: the engine's armed timeouts (a FIFO, since a pool's deadlines arrive sorted).
#include "deadlinequeue_p.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <vector>

using TaskTools::Detail::DeadlineQueue;

namespace {

struct Node
{
    int heapIndex = -1;
    int id = 0;
};

std::vector<std::unique_ptr<Node>> makeNodes(int n)
{
    std::vector<std::unique_ptr<Node>> nodes;
    for (int i = 0; i < n; ++i) {
        nodes.push_back(std::make_unique<Node>());
        nodes.back()->id = i;
    }
    return nodes;
}

} // namespace

class tst_DeadlineQueue : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void popsInDeadlineOrder();
    void removeInAnyOrder();
    void removeUnarmedIsNoop();
    void earlierDeadlineKeepsOrder();
    void clearDisarmsEverything();
    void matchesReferenceModel();
    void memoryStaysBoundedUnderChurn();
};

void tst_DeadlineQueue::popsInDeadlineOrder()
{
    auto nodes = makeNodes(100);
    DeadlineQueue<Node> q;
    QVERIFY(q.isEmpty());
    for (int i = 0; i < 100; ++i)
        q.push(nodes[i].get(), 1000 + i / 3); // ties too
    QCOMPARE(q.size(), std::size_t(100));
    for (int i = 0; i < 100; ++i) {
        QCOMPARE(q.topDeadline(), qint64(1000 + i / 3));
        Node *n = q.pop();
        QCOMPARE(n->id, i);
        QCOMPARE(n->heapIndex, -1);
    }
    QVERIFY(q.isEmpty());
}

void tst_DeadlineQueue::removeInAnyOrder()
{
    const int n = 5000;
    auto nodes = makeNodes(n);
    DeadlineQueue<Node> q;
    for (int i = 0; i < n; ++i)
        q.push(nodes[i].get(), i * 10);
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937 random(7);
    std::shuffle(order.begin(), order.end(), random);
    std::vector<bool> removed(n, false);
    for (int k = 0; k < n - 10; ++k) {
        q.remove(nodes[order[k]].get());
        removed[order[k]] = true;
        QCOMPARE(nodes[order[k]]->heapIndex, -1);
        // The head is always the earliest entry still armed (compactions included).
        const int first = int(std::find(removed.begin(), removed.end(), false) - removed.begin());
        QCOMPARE(q.top()->id, first);
        QCOMPARE(q.topDeadline(), qint64(first) * 10);
    }
    QCOMPARE(q.size(), std::size_t(10));
    int last = -1;
    while (!q.isEmpty()) {
        Node *node = q.pop();
        QVERIFY(!removed[node->id]);
        QVERIFY(node->id > last);
        last = node->id;
    }
}

void tst_DeadlineQueue::removeUnarmedIsNoop()
{
    auto nodes = makeNodes(3);
    DeadlineQueue<Node> q;
    q.push(nodes[0].get(), 1);
    q.push(nodes[1].get(), 2);
    q.remove(nodes[2].get()); // never armed
    q.remove(nodes[0].get());
    q.remove(nodes[0].get()); // twice
    QCOMPARE(q.size(), std::size_t(1));
    QCOMPARE(q.pop(), nodes[1].get());
    QVERIFY(q.isEmpty());
    q.push(nodes[0].get(), 5); // reusable once empty
    QCOMPARE(q.top(), nodes[0].get());
}

void tst_DeadlineQueue::earlierDeadlineKeepsOrder()
{
    auto nodes = makeNodes(2);
    DeadlineQueue<Node> q;
    q.push(nodes[0].get(), 100);
    q.push(nodes[1].get(), 50); // only a clock going back would do this
    QCOMPARE(q.pop(), nodes[0].get());
    QCOMPARE(q.topDeadline(), qint64(100)); // never earlier than what was armed before it
    QCOMPARE(q.pop(), nodes[1].get());
}

void tst_DeadlineQueue::clearDisarmsEverything()
{
    auto nodes = makeNodes(200);
    DeadlineQueue<Node> q;
    for (int i = 0; i < 200; ++i)
        q.push(nodes[i].get(), i);
    for (int i = 0; i < 200; i += 3)
        q.remove(nodes[i].get());
    q.clear();
    QVERIFY(q.isEmpty());
    for (const auto &node : nodes)
        QCOMPARE(node->heapIndex, -1);
}

// Random pushes (non-decreasing deadlines), removals and pops against a std::multimap.
void tst_DeadlineQueue::matchesReferenceModel()
{
    const int n = 20'000;
    auto nodes = makeNodes(n);
    DeadlineQueue<Node> q;
    std::map<std::pair<qint64, int>, Node *> model; // (deadline, arming order) -> node
    std::vector<Node *> armed;
    std::mt19937 random(42);
    qint64 clock = 0;
    int next = 0;
    for (int step = 0; step < 200'000; ++step) {
        const int action = int(random() % 10);
        if (action < 5 && next < n) {
            clock += random() % 3;
            Node *node = nodes[next++].get();
            q.push(node, clock);
            model.emplace(std::pair(clock, node->id), node);
            armed.push_back(node);
        } else if (action < 8 && !armed.empty()) {
            const std::size_t pick = random() % armed.size();
            Node *node = armed[pick];
            armed[pick] = armed.back();
            armed.pop_back();
            q.remove(node);
            const auto erased =
                std::erase_if(model, [node](const auto &e) { return e.second == node; });
            QCOMPARE(erased, std::size_t(1));
        } else if (!model.empty()) {
            QCOMPARE(q.topDeadline(), model.begin()->first.first);
            Node *node = q.pop();
            QCOMPARE(node, model.begin()->second);
            model.erase(model.begin());
            std::erase(armed, node);
        }
        QCOMPARE(q.size(), model.size());
        if (!model.empty())
            QCOMPARE(q.top(), model.begin()->second);
    }
}

// A long-lived entry at the head while many others come and go: the empty slots behind it are
// compacted away rather than piling up.
void tst_DeadlineQueue::memoryStaysBoundedUnderChurn()
{
    auto nodes = makeNodes(2);
    DeadlineQueue<Node> q;
    q.push(nodes[0].get(), 0); // stays armed throughout
    int worstIndex = 0;
    for (int i = 1; i < 1'000'000; ++i) {
        q.push(nodes[1].get(), i);
        worstIndex = std::max(worstIndex, nodes[1]->heapIndex); // the slot count so far
        q.remove(nodes[1].get());
    }
    QCOMPARE(q.size(), std::size_t(1));
    QCOMPARE(q.top(), nodes[0].get());
    QVERIFY2(worstIndex < 128, qPrintable(QString::number(worstIndex)));
}

QTEST_APPLESS_MAIN(tst_DeadlineQueue)
#include "tst_deadlinequeue.moc"
