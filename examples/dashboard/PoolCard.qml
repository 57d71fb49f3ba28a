// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import TaskTools
import Dashboard

// One pool: its state, a running/size gauge, a throughput sparkline, its counters, how its
// tasks ended, the last failure or timeout, and buttons to start/stop it and to add load.
Rectangle {
    id: card

    required property PoolWorkload workload
    readonly property PoolStatus status: workload.status
    readonly property bool live: workload.state === PoolWorkload.Running

    radius: 14
    color: Theme.surface
    border.color: Theme.border
    implicitWidth: 392
    implicitHeight: content.implicitHeight + 40

    // The sparkline's samples: one per throughput update (PoolStatus samples every 250 ms).
    Timer {
        interval: 250
        running: true
        repeat: true
        onTriggered: spark.push(card.status.throughput)
    }

    ColumnLayout {
        id: content
        anchors.fill: parent
        anchors.margins: 20
        spacing: 16

        // Title, description, state.
        RowLayout {
            Layout.fillWidth: true
            spacing: 12
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 3
                Text {
                    text: card.workload.title
                    color: Theme.text
                    font.pixelSize: 20
                    font.weight: Font.Bold
                }
                Text {
                    Layout.fillWidth: true
                    text: card.workload.description
                    color: Theme.muted
                    font.pixelSize: 12
                    wrapMode: Text.WordWrap
                    maximumLineCount: 2
                }
            }
            StatePill {
                Layout.alignment: Qt.AlignTop
                state: card.workload.state
            }
        }

        // Gauge and sparkline.
        RowLayout {
            Layout.fillWidth: true
            spacing: 18
            LoadGauge {
                load: card.status.load
                running: card.status.running
                size: card.status.size
            }
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 4
                Text {
                    text: qsTr("THROUGHPUT")
                    color: Theme.muted
                    font.pixelSize: 11
                    font.letterSpacing: 0.6
                }
                Row {
                    spacing: 6
                    Text {
                        text: card.status.throughput.toFixed(card.status.throughput < 100 ? 1 : 0)
                        color: Theme.text
                        font.pixelSize: 28
                        font.weight: Font.Bold
                    }
                    Text {
                        anchors.baseline: parent.children[0].baseline
                        text: qsTr("tasks/s")
                        color: Theme.muted
                        font.pixelSize: 13
                    }
                }
                Sparkline {
                    id: spark
                    Layout.fillWidth: true
                    Layout.preferredHeight: 62
                    color: Theme.accent
                }
                Text {
                    text: qsTr("last 15 s · peak %1/s").arg(spark.peak.toFixed(1))
                    color: Theme.faint
                    font.pixelSize: 11
                }
            }
        }

        // Counters.
        GridLayout {
            Layout.fillWidth: true
            columns: 3
            rowSpacing: 8
            columnSpacing: 8
            CounterTile {
                Layout.fillWidth: true
                caption: qsTr("Submitted")
                value: card.status.submitted
                dot: Theme.accent
            }
            CounterTile {
                Layout.fillWidth: true
                caption: qsTr("Pending")
                value: card.status.pending
                dot: Theme.pending
            }
            CounterTile {
                Layout.fillWidth: true
                caption: qsTr("Completed")
                value: card.status.completed
                dot: Theme.completed
            }
            CounterTile {
                Layout.fillWidth: true
                caption: qsTr("Failed")
                value: card.status.failed
                dot: Theme.failed
            }
            CounterTile {
                Layout.fillWidth: true
                caption: qsTr("Timed out")
                value: card.status.timedOut
                dot: Theme.timedOut
            }
            CounterTile {
                Layout.fillWidth: true
                caption: qsTr("Canceled")
                value: card.status.canceled
                dot: Theme.canceled
            }
        }

        // How tasks ended.
        ColumnLayout {
            Layout.fillWidth: true
            spacing: 6
            OutcomeBar {
                Layout.fillWidth: true
                status: card.status
            }
            Text {
                text: (card.workload.timeoutMs > 0
                       ? qsTr("timeout %1 ms").arg(card.workload.timeoutMs)
                       : qsTr("no timeout (synchronous tasks)"))
                      + qsTr(" · offered load %1 tasks/s").arg(card.workload.rate)
                color: Theme.faint
                font.pixelSize: 11
            }
        }

        // The latest failures and timeouts, from the pool's per-task signals.
        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 6
            Text {
                text: qsTr("RECENT FAILURES AND TIMEOUTS")
                color: Theme.muted
                font.pixelSize: 11
                font.letterSpacing: 0.6
            }
            Rectangle {
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.minimumHeight: 60
                radius: 9
                color: Theme.surfaceRaised
                clip: true
                Column {
                    x: 12
                    y: 10
                    width: parent.width - 24
                    spacing: 7
                    Text {
                        visible: card.workload.events.length === 0
                        text: qsTr("nothing yet")
                        color: Theme.faint
                        font.pixelSize: 12
                    }
                    Repeater {
                        model: card.workload.events
                        Row {
                            required property var modelData
                            required property int index
                            width: parent.width
                            spacing: 10
                            opacity: 1 - index * 0.09
                            Text {
                                text: modelData.time
                                color: Theme.faint
                                font.pixelSize: 11
                                font.family: "DejaVu Sans Mono"
                            }
                            Rectangle {
                                anchors.verticalCenter: parent.verticalCenter
                                width: 6
                                height: 6
                                radius: 3
                                color: modelData.kind === "failed" ? Theme.failed : Theme.timedOut
                            }
                            Text {
                                width: parent.width - x
                                text: modelData.text
                                color: Theme.text
                                font.pixelSize: 12
                                elide: Text.ElideRight
                            }
                        }
                    }
                }
            }
        }

        // Actions.
        RowLayout {
            Layout.fillWidth: true
            spacing: 8
            PushButton {
                primary: true
                accent: card.live ? Theme.failed : Theme.completed
                text: card.live ? qsTr("Stop") : card.workload.state === PoolWorkload.Stopping
                                                  ? qsTr("Draining…") : qsTr("Start")
                enabled: card.workload.state === PoolWorkload.Running
                         || card.workload.state === PoolWorkload.Stopped
                onClicked: card.live ? card.workload.stop() : card.workload.start()
            }
            PushButton {
                text: qsTr("+50 tasks")
                enabled: card.live
                onClicked: card.workload.addLoad(50)
            }
            Item { Layout.fillWidth: true }
            PushButton {
                text: "−"
                enabled: card.workload.rate > 1
                onClicked: card.workload.rate = Math.max(1, Math.round(card.workload.rate / 1.5))
            }
            Text {
                Layout.preferredWidth: 46
                horizontalAlignment: Text.AlignHCenter
                text: qsTr("%1/s").arg(card.workload.rate)
                color: Theme.muted
                font.pixelSize: 12
            }
            PushButton {
                text: "+"
                onClicked: card.workload.rate = Math.round(card.workload.rate * 1.5)
            }
        }
    }
}
