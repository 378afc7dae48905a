/**
 * {@code podsnapshot.gke.io/v1}: GKE Pod Snapshot kinds (PodSnapshotStorageConfig, PodSnapshotPolicy,
 * PodSnapshotManualTrigger, PodSnapshot) with GKE's field names. agentbox additions are optional and clearly
 * named: {@code snapshotStorageConfig.local}, {@code storageStatus.local}, and PodSnapshot status
 * {@code sizeBytes}, {@code sourceSandbox}, {@code sourcePod}, {@code templateHash}.
 */
package dev.agentbox.api.snapshot.v1;
