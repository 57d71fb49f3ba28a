// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
import QtQuick

// The recent history of one value (here PoolStatus.throughput): an area chart scaled to its
// own maximum. push() appends a sample; the oldest falls off after `capacity` samples.
Item {
    id: spark

    property color color: Theme.accent
    property int capacity: 60
    property var values: []
    readonly property real peak: values.length ? Math.max.apply(null, values) : 0

    function push(value) {
        const next = values.slice(-(capacity - 1))
        next.push(value)
        values = next
        canvas.requestPaint()
    }

    implicitHeight: 64

    Canvas {
        id: canvas
        anchors.fill: parent
        antialiasing: true
        onPaint: {
            const ctx = getContext("2d")
            ctx.reset()
            // Guides at a half and at the top of the scale.
            ctx.strokeStyle = Theme.track
            ctx.lineWidth = 1
            for (const f of [0.5, 1.0]) {
                const y = Math.round(height - f * (height - 4)) + 0.5
                ctx.beginPath()
                ctx.moveTo(0, y)
                ctx.lineTo(width, y)
                ctx.stroke()
            }
            const v = spark.values
            if (v.length < 2)
                return
            const top = Math.max(spark.peak * 1.1, 1)
            const step = width / (spark.capacity - 1)
            const x0 = width - (v.length - 1) * step
            const yOf = value => height - 1 - value / top * (height - 4)
            ctx.beginPath()
            ctx.moveTo(x0, height)
            for (let i = 0; i < v.length; ++i)
                ctx.lineTo(x0 + i * step, yOf(v[i]))
            ctx.lineTo(width, height)
            ctx.closePath()
            const fill = ctx.createLinearGradient(0, 0, 0, height)
            fill.addColorStop(0, Qt.rgba(spark.color.r, spark.color.g, spark.color.b, 0.35))
            fill.addColorStop(1, Qt.rgba(spark.color.r, spark.color.g, spark.color.b, 0.02))
            ctx.fillStyle = fill
            ctx.fill()
            ctx.beginPath()
            for (let i = 0; i < v.length; ++i) {
                if (i === 0)
                    ctx.moveTo(x0, yOf(v[0]))
                else
                    ctx.lineTo(x0 + i * step, yOf(v[i]))
            }
            ctx.strokeStyle = spark.color
            ctx.lineWidth = 2
            ctx.lineJoin = "round"
            ctx.stroke()
        }
    }
}
