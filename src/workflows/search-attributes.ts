/** Search attributes the project registers on the dev server and sets on its workflows. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ReportConfigAttribute = defineSearchAttributeKey('ReportConfig', SearchAttributeType.KEYWORD);
export const ReportPeriodAttribute = defineSearchAttributeKey('ReportPeriod', SearchAttributeType.KEYWORD);
export const ReportTargetAttribute = defineSearchAttributeKey('ReportTarget', SearchAttributeType.KEYWORD);

export const projectSearchAttributes = [ReportConfigAttribute, ReportPeriodAttribute, ReportTargetAttribute];
