// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import TaskTools

// The dashboard: one card per pool, bound to each pool's live PoolStatus.
Window {
    id: window

    required property var workloads // PoolWorkload objects, from main.cpp

    width: 1320
    height: 860
    visible: true
    title: qsTr("TaskTools dashboard")
    color: Theme.background

    // Totals over every pool, for the header.
    readonly property real totalThroughput: {
        let sum = 0
        for (const w of workloads)
            sum += w.status.throughput
        return sum
    }
    readonly property double totalEnded: {
        let sum = 0
        for (const w of workloads)
            sum += w.status.completed + w.status.failed + w.status.timedOut + w.status.canceled
        return sum
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 28
        spacing: 22

        RowLayout {
            Layout.fillWidth: true
            spacing: 14
            Column {
                spacing: 4
                Row {
                    spacing: 10
                    Rectangle {
                        anchors.verticalCenter: parent.verticalCenter
                        width: 14
                        height: 14
                        radius: 4
                        color: Theme.accent
                    }
                    Text {
                        text: qsTr("TaskTools")
                        color: Theme.text
                        font.pixelSize: 26
                        font.weight: Font.Bold
                    }
                    Text {
                        anchors.baseline: parent.children[1].baseline
                        text: qsTr("pool dashboard")
                        color: Theme.muted
                        font.pixelSize: 18
                    }
                }
                Text {
                    text: qsTr("Three thread pools under a synthetic workload, bound to their live "
                               + "PoolStatus from QML.")
                    color: Theme.muted
                    font.pixelSize: 13
                }
            }
            Item { Layout.fillWidth: true }
            Column {
                spacing: 2
                Text {
                    anchors.right: parent.right
                    text: qsTr("%1 tasks/s").arg(window.totalThroughput.toFixed(1))
                    color: Theme.text
                    font.pixelSize: 20
                    font.weight: Font.DemiBold
                }
                Text {
                    anchors.right: parent.right
                    text: qsTr("%1 tasks ended").arg(Theme.grouped(window.totalEnded))
                    color: Theme.muted
                    font.pixelSize: 12
                }
            }
            Rectangle {
                Layout.preferredWidth: 1
                Layout.preferredHeight: 36
                color: Theme.border
            }
            PushButton {
                text: qsTr("Start all")
                onClicked: window.workloads.forEach(w => w.start())
            }
            PushButton {
                text: qsTr("Stop all")
                onClicked: window.workloads.forEach(w => w.stop())
            }
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 20
            Repeater {
                model: window.workloads
                PoolCard {
                    required property var modelData
                    workload: modelData
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    Layout.preferredWidth: 1 // equal widths
                }
            }
        }

        Text {
            Layout.fillWidth: true
            text: qsTr("Counters: coalesced NOTIFY signals, at most one update in flight · "
                       + "throughput: tasks ended per second, over the last second · "
                       + "failures and timeouts: the pools' taskFailed / taskTimedOut signals")
            color: Theme.faint
            font.pixelSize: 11
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
        }
    }
}
