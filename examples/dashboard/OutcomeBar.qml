// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
import QtQuick
import TaskTools

// How the tasks that ended so far ended: completed, failed, timed out, canceled.
Rectangle {
    id: bar

    required property PoolStatus status
    readonly property double ended: status.completed + status.failed + status.timedOut
                                    + status.canceled

    implicitHeight: 8
    radius: 4
    color: Theme.track
    clip: true

    Row {
        anchors.fill: parent
        Repeater {
            model: [
                { value: bar.status.completed, color: Theme.completed },
                { value: bar.status.failed, color: Theme.failed },
                { value: bar.status.timedOut, color: Theme.timedOut },
                { value: bar.status.canceled, color: Theme.canceled }
            ]
            Rectangle {
                required property var modelData
                height: bar.height
                width: bar.ended > 0 ? bar.width * modelData.value / bar.ended : 0
                color: modelData.color
            }
        }
    }
}
