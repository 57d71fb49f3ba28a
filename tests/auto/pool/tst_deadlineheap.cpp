// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "deadlineheap_p.h"

#include <QtTest/QtTest>

#include <random>
#include <set>
#include <vector>

using TaskTools::Detail::DeadlineHeap;

namespace {
struct Node
{
    int heapIndex = -1;
    qint64 deadline = 0;
};
} // namespace

class tst_DeadlineHeap : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void popsInDeadlineOrder();
    void removesArbitraryEntries_data();
    void removesArbitraryEntries();
    void equalDeadlines();
};

void tst_DeadlineHeap::popsInDeadlineOrder()
{
    DeadlineHeap<Node> heap;
    std::vector<Node> nodes(1000);
    std::mt19937 rng(1);
    for (Node &n : nodes) {
        n.deadline = qint64(rng() % 100000);
        heap.push(&n, n.deadline);
    }
    QCOMPARE(heap.size(), std::size_t(1000));
    qint64 last = -1;
    while (!heap.isEmpty()) {
        const qint64 top = heap.topDeadline();
        Node *n = heap.pop();
        QCOMPARE(n->deadline, top);
        QVERIFY(top >= last);
        QCOMPARE(n->heapIndex, -1);
        last = top;
    }
}

void tst_DeadlineHeap::removesArbitraryEntries_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<unsigned>("seed");
    for (int count : {1, 2, 3, 17, 1000, 20000})
        for (unsigned seed : {1u, 2u, 3u})
            QTest::addRow("n=%d seed=%u", count, seed) << count << seed;
}

void tst_DeadlineHeap::removesArbitraryEntries()
{
    QFETCH(int, count);
    QFETCH(unsigned, seed);
    std::mt19937 rng(seed);
    DeadlineHeap<Node> heap;
    std::vector<Node> nodes(count);
    std::multiset<std::pair<qint64, Node *>> model;
    for (Node &n : nodes) {
        n.deadline = qint64(rng() % 1000);
        heap.push(&n, n.deadline);
        model.insert({n.deadline, &n});
    }
    // Interleave removals of random armed nodes with pops of the earliest.
    std::vector<Node *> order;
    for (Node &n : nodes)
        order.push_back(&n);
    std::shuffle(order.begin(), order.end(), rng);
    for (Node *n : order) {
        if (n->heapIndex < 0)
            continue; // already popped
        if (rng() % 4 == 0) {
            const qint64 top = heap.topDeadline();
            QCOMPARE(top, model.begin()->first);
            Node *popped = heap.pop();
            QCOMPARE(popped->deadline, top);
            model.erase(model.find({popped->deadline, popped}));
        } else {
            heap.remove(n);
            QCOMPARE(n->heapIndex, -1);
            model.erase(model.find({n->deadline, n}));
            heap.remove(n); // removing twice is harmless
        }
        QCOMPARE(heap.size(), model.size());
        if (!model.empty())
            QCOMPARE(heap.topDeadline(), model.begin()->first);
    }
    // What is left (nodes passed over because a pop was drawn instead) comes out in order.
    while (!model.empty()) {
        QVERIFY(!heap.isEmpty());
        QCOMPARE(heap.topDeadline(), model.begin()->first);
        Node *popped = heap.pop();
        model.erase(model.find({popped->deadline, popped}));
    }
    QVERIFY(heap.isEmpty());
}

void tst_DeadlineHeap::equalDeadlines()
{
    DeadlineHeap<Node> heap;
    std::vector<Node> nodes(64);
    for (Node &n : nodes)
        heap.push(&n, 5);
    heap.remove(&nodes[10]);
    heap.remove(&nodes[0]);
    int popped = 0;
    while (!heap.isEmpty()) {
        QCOMPARE(heap.topDeadline(), qint64(5));
        heap.pop();
        ++popped;
    }
    QCOMPARE(popped, 62);
}

QTEST_APPLESS_MAIN(tst_DeadlineHeap)
#include "tst_deadlineheap.moc"
