/** Search attributes the project registers on the dev server and sets on its workflows. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ReportConfigAttribute = defineSearchAttributeKey('ReportConfig', SearchAttributeType.KEYWORD);
export const ReportPeriodAttribute = defineSearchAttributeKey('ReportPeriod', SearchAttributeType.KEYWORD);
export const ReportTargetAttribute = defineSearchAttributeKey('ReportTarget', SearchAttributeType.KEYWORD);

/** When Stripe finished the ReportRun: its file is kept 90 days from then (see `reports status`). */
export const ReportRunSucceededAttribute = defineSearchAttributeKey('ReportRunSucceededAt', SearchAttributeType.DATETIME);

export const projectSearchAttributes = [ReportConfigAttribute, ReportPeriodAttribute, ReportTargetAttribute, ReportRunSucceededAttribute];
