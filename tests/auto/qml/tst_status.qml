// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import TaskTools

// Bindings on a live pool's status, as a Qt Quick UI would have them. `driver` (from
// tst_qmlstatus.cpp) owns an AsyncThreadedTaskPool named "qml-pool" (size 4, timeout 1.5 s).
TestCase {
    id: testCase
    name: "PoolStatusInQml"

    // `PoolStatus` is a QML type: a property of that type takes the pool's status.
    property PoolStatus status: driver.status

    // What a dashboard binds to.
    readonly property string title: status.name + " (" + status.size + " slots)"
    readonly property bool poolActive: status.active
    readonly property int poolRunning: status.running
    readonly property real poolLoad: status.load
    readonly property real throughput: status.throughput
    readonly property double ended: status.completed + status.failed + status.timedOut
                                    + status.canceled
    readonly property bool balanced: status.submitted === ended && status.pending === 0
                                     && status.running === 0

    function cleanup() {
        driver.stop() // a failed test leaves the next one a stopped pool
    }

    function test_1_typeIsUncreatable() {
        let message = ""
        try {
            Qt.createQmlObject("import TaskTools; PoolStatus {}", testCase)
        } catch (error) {
            message = error.qmlErrors.map(e => e.message).join("; ")
        }
        verify(message.indexOf("PoolStatus belongs to a pool") >= 0, message)
    }

    function test_2_valuesBeforeStart() {
        verify(status !== null)
        compare(title, "qml-pool (4 slots)")
        compare(poolActive, false)
        compare(poolRunning, 0)
        compare(poolLoad, 0)
        compare(throughput, 0)
        compare(ended, 0)
        verify(balanced)
    }

    function test_3_bindingsFollowALivePool() {
        driver.start()
        tryCompare(testCase, "poolActive", true, 5000)

        driver.hold(2)
        tryCompare(testCase, "poolRunning", 2, 5000)
        tryCompare(testCase, "poolLoad", 0.5, 5000)
        driver.hold(3) // four run, one waits
        tryCompare(testCase, "poolLoad", 1.0, 5000)
        tryCompare(status, "pending", 1, 5000)
        verify(!balanced)
        driver.releaseHeld()
        tryCompare(testCase, "ended", 4, 5000)
        tryCompare(testCase, "poolRunning", 1, 5000) // the fifth has started: release it too
        driver.releaseHeld()
        tryCompare(testCase, "ended", 5, 5000)

        driver.submit(300, 12, 3)
        driver.stop()
        tryCompare(testCase, "poolActive", false, 5000)
        // The timing-out tasks end after the timeout; the bindings settle on the final values.
        tryCompare(testCase, "ended", 5 + 300 + 12 + 3, 10000 + driver.timeoutMs)
        tryCompare(testCase, "balanced", true, 5000)
        compare(status.submitted, 320)
        compare(status.completed, 305)
        compare(status.failed, 12)
        compare(status.timedOut, 3)
        compare(status.canceled, 0)
        compare(poolRunning, 0)
        compare(poolLoad, 0)
    }

    function test_4_throughputWhileBusy() {
        driver.start()
        tryCompare(testCase, "poolActive", true, 5000)
        driver.startStream()
        tryVerify(() => testCase.throughput > 0, 10000, "throughput rises while tasks end")
        driver.stopStream()
        driver.stop()
        tryCompare(testCase, "poolActive", false, 5000)
        tryCompare(testCase, "throughput", 0, 10000)
        tryCompare(testCase, "balanced", true, 5000)
    }
}
